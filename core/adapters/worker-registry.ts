/**
 * Where worker agents announce themselves: each has its own key (hash-tagged,
 * cluster-safe) with a TTL, refreshed by its heartbeat; a set indexes them and
 * readers drop ids whose key has expired. The one owner of these keys: the
 * worker writes through it (worker/heartbeat.ts), the control plane reads
 * through it (`GET /workers`).
 */
import type { Redis } from 'ioredis';

export interface WorkerStatus {
  workerId: string;
  version: string;
  host: string;
  startedAt: string;
  capacity: number;
  busy: number;
  pools: Record<string, { ready: number; creating: number; leased: number; target: number }>;
  lastJobAt: string | null;
  updatedAt: string;
}

const keys = {
  index: 'rp:workers',
  status: (workerId: string) => `rp:worker:{${workerId}}`,
};

export class WorkerRegistry {
  constructor(private readonly redis: Redis) {}

  /** Writes the worker's status for `ttlSeconds` and indexes it. */
  async announce(status: WorkerStatus, ttlSeconds: number): Promise<void> {
    await this.redis.set(keys.status(status.workerId), JSON.stringify(status), 'EX', ttlSeconds);
    await this.redis.sadd(keys.index, status.workerId);
  }

  /** Removes the worker's entry at once (a clean shutdown). */
  async withdraw(workerId: string): Promise<void> {
    await this.redis.del(keys.status(workerId));
    await this.redis.srem(keys.index, workerId);
  }

  /** Live workers; ids whose heartbeat expired are dropped from the index. */
  async live(): Promise<WorkerStatus[]> {
    const ids = await this.redis.smembers(keys.index);
    const values = await Promise.all(ids.map((id) => this.redis.get(keys.status(id))));
    const expired = ids.filter((_, i) => values[i] === null);
    if (expired.length > 0) await this.redis.srem(keys.index, ...expired);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as WorkerStatus).sort((a, b) => a.workerId.localeCompare(b.workerId));
  }
}

/** The same read for a caller that holds only a connection (tests, tools). */
export const liveWorkers = (redis: Redis): Promise<WorkerStatus[]> => new WorkerRegistry(redis).live();
