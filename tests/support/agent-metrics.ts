/** What a worker agent's own metrics say, for tests that check exactly-once completion. */
import type { WorkerAgent } from '../../worker/agent.ts';

/** Jobs the agent counted as finished (its runplane_jobs_total, every language and verdict). */
export async function completionsCounted(agent: WorkerAgent): Promise<number> {
  return (await agent.metrics.jobs.get()).values.reduce((n, v) => n + v.value, 0);
}
