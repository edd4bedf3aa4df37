/**
 * Hot job state in Redis: the latest view of each job (with a TTL) and the
 * job event stream. Writing state and publishing its event happen in one
 * MULTI, so a subscriber that then reads the key never sees an older state.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { jobRecordSchema, type JobEvent, type JobRecord } from '../contract.ts';
import { redisKeys } from './redis-keys.ts';

export class HotState {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async get(jobId: string): Promise<JobRecord | undefined> {
    const raw = await this.redis.get(redisKeys.job(jobId));
    return raw ? jobRecordSchema.parse(JSON.parse(raw)) : undefined;
  }

  /** Stores the job's current state and publishes the matching event. */
  async record(job: JobRecord, type: JobEvent['type']): Promise<void> {
    const event: JobEvent = { type, jobId: job.jobId, eventId: randomUUID(), job };
    await this.redis
      .multi()
      .set(redisKeys.job(job.jobId), JSON.stringify(job), 'EX', this.ttlSeconds)
      .publish(redisKeys.jobEvents(job.jobId), JSON.stringify(event))
      .exec()
      .then(throwOnMultiError);
  }

  /** Every job whose hot state is still kept. A SCAN over the keyspace: for tools (the local stack), never a request path. */
  async *scan(): AsyncGenerator<JobRecord> {
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', redisKeys.jobScan, 'COUNT', 1000);
      cursor = next;
      const keys = found.filter(redisKeys.isJob);
      if (keys.length === 0) continue;
      for (const raw of await this.redis.mget(...keys)) {
        const job = raw ? jobRecordSchema.safeParse(JSON.parse(raw)).data : undefined;
        if (job) yield job;
      }
    } while (cursor !== '0');
  }

  async delete(jobId: string): Promise<void> {
    await this.redis.del(redisKeys.job(jobId));
  }
}

function throwOnMultiError(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('redis transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
