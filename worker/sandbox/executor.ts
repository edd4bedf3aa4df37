/**
 * Runs a job in a container leased from the warm pool and always gives the
 * container back for destruction, whatever happened.
 */
import type { JobInput, JobLimits, JobResult } from '../../core/contract.ts';
import type { Logger } from '../../core/logger.ts';
import { runJob } from './run-job.ts';
import type { WarmPool } from './warm-pool.ts';

export function poolExecutor(pool: WarmPool) {
  return async (input: JobInput, limits: JobLimits, log: Logger): Promise<JobResult> => {
    const leased = await pool.acquire();
    try {
      const result = await runJob(leased.container, input, limits, {
        wasOomKilled: async () => (await leased.container.inspect()).State.OOMKilled === true,
      });
      log.debug({ poolHit: leased.poolHit, containerStartMs: leased.startMs, container: leased.container.id.slice(0, 12) }, 'sandbox run finished');
      return result;
    } finally {
      pool.release(leased.container);
    }
  };
}
