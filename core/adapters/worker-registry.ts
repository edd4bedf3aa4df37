/**
 * Where worker agents announce themselves: each has its own key (hash-tagged,
 * cluster-safe) with a TTL, refreshed by its heartbeat; a set indexes them and
 * readers drop ids whose key has expired. Shared by the worker (writes) and
 * the control plane (`GET /workers` reads).
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

export const workerKeys = {
  index: 'rp:workers',
  status: (workerId: string) => `rp:worker:{${workerId}}`,
};

/** Live workers; ids whose heartbeat expired are dropped from the index. */
export async function liveWorkers(redis: Redis): Promise<WorkerStatus[]> {
  const ids = await redis.smembers(workerKeys.index);
  const values = await Promise.all(ids.map((id) => redis.get(workerKeys.status(id))));
  const expired = ids.filter((_, i) => values[i] === null);
  if (expired.length > 0) await redis.srem(workerKeys.index, ...expired);
  return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as WorkerStatus).sort((a, b) => a.workerId.localeCompare(b.workerId));
}
