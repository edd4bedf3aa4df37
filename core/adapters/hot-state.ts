/**
 * Hot job state in Redis: the latest view of each job (with a TTL) and the
 * job event stream. Writing state and publishing its event happen in one
 * MULTI, so a subscriber that then reads the key never sees an older state.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { jobRecordSchema, type JobEvent, type JobRecord } from '../contract.ts';
import { redisKeys } from './redis-keys.ts';

/**
 * Claims a job for a run: when Redis holds the job and it is not finished, stores the
 * running state and publishes its event, like `record`, in one step.
 * KEYS[1] the job's state, KEYS[2] its event channel; ARGV: running state, event, TTL (s).
 * Returns 'claimed', 'finished' (completed or failed: a redelivery), or 'unknown'
 * (no state in Redis: expired, or lost with a restart), in which case it writes nothing.
 */
const CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current then return 'unknown' end
local status = cjson.decode(current).status
if status == 'completed' or status == 'failed' then return 'finished' end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 'claimed'
`;

export type Claim = 'claimed' | 'finished' | 'unknown';

type ClaimingRedis = Redis & { runplaneClaimJob(state: string, channel: string, job: string, event: string, ttl: number): Promise<Claim> };

export class HotState {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    if (!('runplaneClaimJob' in redis)) redis.defineCommand('runplaneClaimJob', { numberOfKeys: 2, lua: CLAIM });
  }

  /** See CLAIM: the worker's claim of a job it received, with its `job.running` event. */
  async claim(running: JobRecord): Promise<Claim> {
    const event: JobEvent = { type: 'job.running', jobId: running.jobId, eventId: randomUUID(), job: running };
    return (this.redis as ClaimingRedis).runplaneClaimJob(
      redisKeys.job(running.jobId), redisKeys.jobEvents(running.jobId), JSON.stringify(running), JSON.stringify(event), this.ttlSeconds,
    );
  }

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
