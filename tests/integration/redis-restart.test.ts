/**
 * Redis restarts while jobs run (fault 14 of the outside review): submissions
 * fail closed (503) while it is down and are accepted again once it is back;
 * no job is lost and none is completed twice. Its own redis-server, stopped
 * mid-job and started again on the same port, empty, as after a failover
 * without persistence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { createRequestRedis } from '../../core/adapters/redis.ts';
import { parseEnv } from '../../core/config.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { startRedisServer, type RedisServer } from '../../local/redis-server.ts';
import type { WorkerAgent } from '../../worker/agent.ts';
import { buildWorkerAgent } from '../../worker/wiring.ts';
import { workerEnvSchema } from '../../worker/config.ts';
import { testServices, type TestServices } from '../support/services.ts';
import { completionsCounted } from '../support/agent-metrics.ts';
import { until } from '../support/until.ts';

let s: TestServices;
let redisServer: RedisServer;
let agent: WorkerAgent;
let api: ReturnType<typeof createRequestRedis>;

beforeAll(async () => {
  s = await testServices({ visibilityTimeoutSeconds: 5, maxReceiveCount: 5 });
  redisServer = await startRedisServer();
  // The control plane's request connection: no offline queue, so a command while Redis is down fails at once.
  api = createRequestRedis(redisServer.url, 'test-api');
  await api.connected();
  const config = parseEnv(workerEnvSchema, { ...s.env, REDIS_URL: redisServer.url, WORKER_ID: `redis-restart-${process.pid}`, WORKER_CONCURRENCY: '2', POOL_SIZE: '2', GVISOR_POOL_SIZE: '0', SQS_WAIT_SECONDS: '1', VISIBILITY_TIMEOUT_SECONDS: '5', MAX_RECEIVE_COUNT: '5' });
  agent = buildWorkerAgent(config, s.logger);
  await agent.start();
}, 120_000);
afterAll(async () => {
  await agent?.stop();
  api?.redis.disconnect();
  await redisServer?.stop();
  await s?.close();
});

const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };
/** As `POST /run` does it: the request connection for admission and hot state. */
const submit = (source: string) =>
  submitJob({ language: 'python', source }, tenant, { code: s.code, jobs: s.jobs, hot: new HotState(api.redis, 600), queue: s.queue, logger: s.logger, admission: new AdmissionControl(api.redis) });

describe('a Redis restart while jobs run', () => {
  it('fails submissions closed while it is down, then accepts them, and every job completes exactly once', async () => {
    // Long enough to be running across the outage, whatever the machine's speed: they wait for it.
    const source = 'import time\ntime.sleep(1.5)\nprint("survived")';
    const before = await Promise.all([submit(source), submit(source)]);
    const running = new HotState(api.redis, 600);
    await until(async () => ((await Promise.all(before.map((j) => running.get(j.jobId)))).every((j) => j?.status === 'running') ? true : undefined), 'both jobs to run');

    await redisServer.stop();
    const refused = await submit(source).then(() => undefined, (error: { statusCode?: number }) => error);
    expect(refused?.statusCode).toBe(503);
    // The two finish while Redis is down: stored in DynamoDB, but Redis could not be told.
    const finished = (jobId: string) => until(async () => {
      const job = await s.jobs.get(jobId);
      return job?.status === 'completed' || job?.status === 'failed' ? job : undefined;
    }, `job ${jobId} to finish`);
    await Promise.all(before.map((j) => finished(j.jobId)));

    redisServer = await startRedisServer(redisServer.port);
    const after = await until(async () => (await api.connected(), submit(source)), 'a submission to be accepted after the restart');

    const jobs = [...before, after].map((j) => j.jobId);
    for (const job of await Promise.all(jobs.map(finished))) {
      expect(job.status).toBe('completed');
      expect(job.result?.stdout).toBe('survived\n');
      expect(job.executionLog?.attempts).toBe(1); // ran once
    }
    // The hot state of the jobs that finished during the outage is repaired once Redis is back
    // (their redelivered message finds them finished and tells Redis), so readers never see "running".
    const hot = new HotState(api.redis, 600);
    for (const { jobId } of before) await until(async () => ((await hot.get(jobId))?.status === 'completed' ? true : undefined), `the hot state of ${jobId}`);
    // Each completion is counted where it is stored (one conditional write per job), a moment after
    // the record reads completed: wait for the count, then stop the agent (it finishes whatever it
    // has in hand) and check that the count never went past one per job.
    await until(async () => ((await completionsCounted(agent)) >= jobs.length ? true : undefined), 'every completion to be counted');
    await agent.stop();
    expect(await completionsCounted(agent)).toBe(jobs.length);
  }, 180_000);
});
