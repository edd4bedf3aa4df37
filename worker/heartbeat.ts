/**
 * The agent's heartbeat: every few seconds it writes its status to Redis with
 * a TTL (core/adapters/worker-registry.ts), so a live worker is listed and a
 * killed one disappears within the TTL.
 */
import type { Redis } from 'ioredis';
import { workerKeys, type WorkerStatus } from '../core/adapters/worker-registry.ts';

export class Heartbeat {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly status: () => Omit<WorkerStatus, 'updatedAt'>,
    private readonly intervalMs = 5_000,
    private readonly ttlSeconds = 15,
  ) {}

  async beat(): Promise<void> {
    const status: WorkerStatus = { ...this.status(), updatedAt: new Date().toISOString() };
    await this.redis.set(workerKeys.status(status.workerId), JSON.stringify(status), 'EX', this.ttlSeconds);
    await this.redis.sadd(workerKeys.index, status.workerId);
  }

  start(): void {
    void this.beat().catch(() => undefined);
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes the worker's entry at once (a clean shutdown). */
  async stop(workerId: string): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(workerKeys.status(workerId)).catch(() => undefined);
    await this.redis.srem(workerKeys.index, workerId).catch(() => undefined);
  }
}
