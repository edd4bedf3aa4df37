/**
 * How long each worker of the stack may take to stop: a fixed allowance for
 * closing its pool, plus the time its running jobs may still take by their
 * own limits (read from the jobs' hot state in Redis). An idle worker thus
 * gets seconds, a busy one the remaining wall time of its jobs.
 */
import { Redis } from 'ioredis';
import { HotState } from '../core/adapters/hot-state.ts';

export const STOP_ALLOWANCE_MS = 2_000;

export async function workerStopBudgets(redisUrl: string, workerIds: string[], now = Date.now()): Promise<Map<string, number>> {
  const budgets = new Map(workerIds.map((id) => [id, STOP_ALLOWANCE_MS]));
  // Short timeouts: an unreachable Redis must not hold up the stop; the allowance then applies.
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    // Read only: the TTL applies to writes.
    for await (const job of new HotState(redis, 0).scan()) {
      if (job.status !== 'running' || !job.workerId || !budgets.has(job.workerId) || !job.startedAt) continue;
      // Upper bound: a compiled job may use its whole compile time, then its whole run time.
      const end = Date.parse(job.startedAt) + job.limits.compileWallTimeMs + job.limits.wallTimeMs;
      budgets.set(job.workerId, Math.max(budgets.get(job.workerId)!, end - now + STOP_ALLOWANCE_MS));
    }
  } catch {
    /* Redis gone: the allowance it is */
  } finally {
    redis.disconnect();
  }
  return budgets;
}
