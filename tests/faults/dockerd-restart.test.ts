/**
 * The Docker engine restarts while jobs run (fault 13 of the outside review):
 * the agent reconnects and rebuilds its pool; each job completes exactly once
 * (retried when the restart took its container); nothing is left behind.
 * Restarts this machine's engine: the fault tests run alone, after the others
 * (scripts/test.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../core/config.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import type { WorkerAgent } from '../../worker/agent.ts';
import { workerEnvSchema } from '../../worker/config.ts';
import { buildWorkerAgent } from '../../worker/wiring.ts';
import { restartDockerEngine } from '../support/docker-engine.ts';
import { containersOf } from '../support/sandbox.ts';
import { testServices, type TestServices } from '../support/services.ts';
import { completionsCounted } from '../support/agent-metrics.ts';
import { until } from '../support/until.ts';

const WORKER_ID = `dockerd-restart-${process.pid}`;
let s: TestServices;
let agent: WorkerAgent;
let baseImage: string;

beforeAll(async () => {
  s = await testServices({ visibilityTimeoutSeconds: 5, maxReceiveCount: 5 });
  const config = parseEnv(workerEnvSchema, { ...s.env, WORKER_ID, WORKER_CONCURRENCY: '2', POOL_SIZE: '2', GVISOR_POOL_SIZE: '0', SQS_WAIT_SECONDS: '1', VISIBILITY_TIMEOUT_SECONDS: '5', MAX_RECEIVE_COUNT: '5' });
  baseImage = config.SANDBOX_IMAGE;
  agent = buildWorkerAgent(config, s.logger);
  await agent.start();
}, 120_000);
afterAll(async () => {
  await agent?.stop();
  await s?.close();
});

const submit = (source: string) => submitJob({ language: 'python', source }, { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger });

const finished = (jobId: string) =>
  until(async () => {
    const job = await s.jobs.get(jobId);
    return job?.status === 'completed' || job?.status === 'failed' ? job : undefined;
  }, `job ${jobId} to finish`);

describe('a Docker engine restart while jobs run', () => {
  it('completes every job exactly once, rebuilds the pool, and leaves no container behind', async () => {
    // Long enough to be running when the engine goes, whatever the machine's speed: the test waits for it.
    const source = 'import time\ntime.sleep(3)\nprint("survived")';
    const during = await Promise.all([submit(source), submit(source)]);
    await until(async () => ((await Promise.all(during.map((j) => s.hot.get(j.jobId)))).every((j) => j?.status === 'running') ? true : undefined), 'both jobs to run');

    await restartDockerEngine();
    const after = await submit('print("after the restart")');

    const jobs = await Promise.all([...during, after].map((j) => finished(j.jobId)));
    expect(jobs.map((j) => [j.status, j.result?.stdout])).toEqual([
      ['completed', 'survived\n'],
      ['completed', 'survived\n'],
      ['completed', 'after the restart\n'],
    ]);
    // One counted completion per job: the conditional write let each complete once. A job's record reads
    // completed a moment before its worker counts it: wait for the count, check it did not go past 3 below.
    await until(async () => ((await completionsCounted(agent)) >= 3 ? true : undefined), 'the three completions to be counted');
    // The pool is whole again, with running containers of its own.
    await until(async () => (agent.pools.standard!.size.ready === 2 ? true : undefined), 'the pool to refill');
    // A container made on demand while the pool refilled is removed once its job is done, a moment
    // after the pool is whole again: wait for the engine to show exactly the pool's two. (Only the
    // base image's: the agent's start-up version probe of the toolchain images starts one of each.)
    const running = await until(async () => {
      const now = (await containersOf(WORKER_ID)).filter((c) => c.State === 'running' && c.Image === baseImage);
      return now.length === 2 ? now : undefined;
    }, 'exactly the pool\'s two containers to run');
    expect(running).toHaveLength(2);
    expect(await completionsCounted(agent)).toBe(3);

    await agent.stop();
    // Nothing of this agent is left, not even the containers the restart killed.
    expect(await containersOf(WORKER_ID)).toEqual([]);
  }, 300_000);
});
