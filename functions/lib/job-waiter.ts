/**
 * Lets `POST /run` with `wait` block until the job finishes. Each Lambda
 * execution environment holds ONE Redis subscriber connection, created on
 * first use and reused by every invocation in it; a waiting request only adds
 * a channel subscription to it, never a connection. (Lambda runs one request
 * per environment at a time, so connections grow with concurrency, not with
 * the number of requests.)
 */
import type { Redis } from 'ioredis';
import type { HotState } from '../../core/adapters/hot-state.ts';
import type { JobsStore } from '../../core/adapters/jobs-store.ts';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import type { ResultStore } from '../../core/adapters/result-store.ts';
import { isFinished, jobEventSchema, type JobRecord } from '../../core/contract.ts';
import { withStoredResult } from '../app/job-result.ts';

export interface WaiterDeps {
  /** Opens the environment's one subscriber connection (called once, on first use). */
  connect: () => Promise<Redis>;
  hot: HotState;
  /** Read when Redis no longer holds the job (older than the hot-state TTL). */
  jobs: JobsStore;
  results: ResultStore;
}

export class JobWaiter {
  private subscriber?: Promise<Redis>;
  private readonly waiting = new Map<string, Set<(job: JobRecord) => void>>();

  constructor(private readonly deps: WaiterDeps) {}

  /** The finished job (with its whole result, wherever it is kept), or undefined when `seconds` pass first. */
  async wait(jobId: string, seconds: number): Promise<JobRecord | undefined> {
    const job = await this.finishedJob(jobId, seconds);
    return job && withStoredResult(job, this.deps.results);
  }

  private async finishedJob(jobId: string, seconds: number): Promise<JobRecord | undefined> {
    const subscriber = await this.ensureSubscriber();
    const channel = redisKeys.jobEvents(jobId);
    let resolveDone!: (job: JobRecord) => void;
    const done = new Promise<JobRecord>((resolve) => (resolveDone = resolve));
    const listeners = this.waiting.get(channel) ?? new Set();
    listeners.add(resolveDone);
    this.waiting.set(channel, listeners);
    let timer: NodeJS.Timeout | undefined;
    try {
      if (listeners.size === 1) await subscriber.subscribe(channel);
      // It may have finished before the subscription took: look once. A job older than
      // the hot-state TTL is only in DynamoDB, and no event will come for it if finished.
      const current = (await this.deps.hot.get(jobId)) ?? (await this.deps.jobs.get(jobId));
      if (current && isFinished(current)) return current;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), seconds * 1000)));
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
      listeners.delete(resolveDone);
      if (listeners.size === 0) {
        this.waiting.delete(channel);
        await subscriber.unsubscribe(channel).catch(() => undefined);
      }
    }
  }

  private ensureSubscriber(): Promise<Redis> {
    this.subscriber ??= this.deps.connect().then((subscriber) => {
      subscriber.on('message', (channel: string, message: string) => {
        const parsed = jobEventSchema.safeParse(JSON.parse(message));
        if (!parsed.success || !isFinished(parsed.data.job)) return;
        for (const resolve of this.waiting.get(channel) ?? []) resolve(parsed.data.job);
      });
      return subscriber;
    });
    this.subscriber.catch(() => (this.subscriber = undefined));
    return this.subscriber;
  }
}
