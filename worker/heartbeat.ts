/**
 * The agent's heartbeat: every few seconds it announces its status in the
 * worker registry (core/adapters/worker-registry.ts) with a TTL, so a live
 * worker is listed and a killed one disappears within the TTL.
 */
import type { WorkerRegistry, WorkerStatus } from '../core/adapters/worker-registry.ts';

export class Heartbeat {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: Pick<WorkerRegistry, 'announce' | 'withdraw'>,
    private readonly status: () => Omit<WorkerStatus, 'updatedAt'>,
    private readonly intervalMs = 5_000,
    private readonly ttlSeconds = 15,
  ) {}

  async beat(): Promise<void> {
    await this.registry.announce({ ...this.status(), updatedAt: new Date().toISOString() }, this.ttlSeconds);
  }

  start(): void {
    void this.beat().catch(() => undefined);
    this.timer = setInterval(() => void this.beat().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  /** Stops beating and removes the worker's entry at once (a clean shutdown). */
  async stop(workerId: string): Promise<void> {
    clearInterval(this.timer);
    await this.registry.withdraw(workerId).catch(() => undefined);
  }
}
