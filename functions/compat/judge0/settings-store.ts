/**
 * The Judge0 settings of each submission (its limits in Judge0's units,
 * redirect_stderr_to_stdout, the argument string…), which our job record does
 * not hold, kept in Redis beside the job (same hash slot) for as long as the
 * job record lives. If one is gone, the view derives them from the job's limits.
 */
import type { Redis } from 'ioredis';
import { submissionSettingsSchema, type SubmissionSettings } from './request.ts';

export class SubmissionSettingsStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  static key(token: string): string {
    return `rp:judge0:{${token}}`;
  }

  async put(token: string, settings: SubmissionSettings): Promise<void> {
    await this.redis.set(SubmissionSettingsStore.key(token), JSON.stringify(settings), 'EX', this.ttlSeconds);
  }

  async delete(token: string): Promise<void> {
    await this.redis.del(SubmissionSettingsStore.key(token));
  }

  async get(token: string): Promise<SubmissionSettings | undefined> {
    const raw = await this.redis.get(SubmissionSettingsStore.key(token));
    if (!raw) return undefined;
    const parsed = submissionSettingsSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }
}
