/**
 * A small JSON document an API layer keeps beside a job, for as long as the
 * job record lives (the Judge0 API's per-submission settings, which our job
 * record does not hold). The key shares the job's hash tag, so it sits in the
 * same cluster slot as the job's other keys. What the document holds is the
 * caller's business: it parses what it reads.
 */
import type { Redis } from 'ioredis';

export class JobSideData {
  constructor(
    private readonly redis: Redis,
    /** Names the document kind in the key: `rp:<namespace>:{<jobId>}`. */
    private readonly namespace: string,
    private readonly ttlSeconds: number,
  ) {}

  key(jobId: string): string {
    return `rp:${this.namespace}:{${jobId}}`;
  }

  async put(jobId: string, value: unknown): Promise<void> {
    await this.redis.set(this.key(jobId), JSON.stringify(value), 'EX', this.ttlSeconds);
  }

  async get(jobId: string): Promise<unknown> {
    const raw = await this.redis.get(this.key(jobId));
    return raw === null ? undefined : (JSON.parse(raw) as unknown);
  }

  async delete(jobId: string): Promise<void> {
    await this.redis.del(this.key(jobId));
  }
}
