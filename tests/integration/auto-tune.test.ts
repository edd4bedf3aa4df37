/**
 * The auto-tuner driving a real agent (real queue emulator, real Docker): the
 * warm pool grows under a burst of jobs and shrinks back when idle, within its
 * bounds. Windows and cooldowns are shortened so the test takes seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../core/config.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import type { WorkerAgent } from '../../worker/agent.ts';
import { buildWorkerAgent } from '../../worker/wiring.ts';
import { workerEnvSchema } from '../../worker/config.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let agent: WorkerAgent;

beforeAll(async () => {
  s = await testServices();
  const config = parseEnv(workerEnvSchema, {
    ...s.env,
    WORKER_ID: `autotune-${process.pid}`,
    POOL_SIZE: '1',
    GVISOR_POOL_SIZE: '0',
    WORKER_CONCURRENCY: '2',
    SQS_WAIT_SECONDS: '1',
    AUTOTUNE: '1',
    AUTOTUNE_TICK_MS: '200',
    AUTOTUNE_POOL_MIN: '1',
    AUTOTUNE_POOL_MAX: '5',
    AUTOTUNE_CONCURRENCY_MAX: '2',
  });
  agent = buildWorkerAgent(config, s.logger, { tunerOverrides: { shortRateWindowMs: 2_000, longRateWindowMs: 3_000, poolScaleDownCooldownMs: 500 } });
  await agent.start();
});
afterAll(async () => {
  await agent.stop();
  await s.close();
});

describe('the auto-tuner on a running agent', () => {
  it('grows the warm pool under a burst and shrinks it back when idle, within its bounds', async () => {
    const pool = agent.pools.standard!;
    expect(pool.size.target).toBe(1);
    const targets: number[] = [];
    const sampler = setInterval(() => targets.push(pool.size.target), 50);

    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      submitJob({ language: 'python', source: `print(${i})` }, { tenantId: 'acme', limits: { ...DEFAULT_TENANT_LIMITS, maxConcurrentJobs: 100 } }, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger }),
    ));
    const deadline = Date.now() + 60_000;
    while (Math.max(...targets, 0) <= 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const peak = Math.max(...targets);
    while (pool.size.target > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    clearInterval(sampler);

    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(5);
    expect(pool.size.target).toBe(1);
    const body = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(body).toMatch(/^runplane_autotuner_changes_total\{setting="pool_target"\} ([2-9]|\d\d+)$/m);
  }, 90_000);
});
