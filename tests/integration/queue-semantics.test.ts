/**
 * Delivery guarantees of the worker on the real queue emulator: long jobs
 * outlive the visibility timeout, infrastructure failures end in the
 * dead-letter queue with the job marked failed, and a worker killed with
 * SIGKILL mid-job leads to a redelivery and exactly one completed result.
 */
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../core/config.ts';
import { INFRASTRUCTURE_ERROR, type JobRecord } from '../../core/contract.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { liveWorkers } from '../../core/adapters/worker-registry.ts';
import type { WorkerAgent } from '../../worker/agent.ts';
import { buildWorkerAgent } from '../../worker/wiring.ts';
import { workerEnvSchema } from '../../worker/config.ts';
import { testServices, type TestServices } from '../support/services.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const VISIBILITY = 5;
let s: TestServices;

beforeAll(async () => {
  s = await testServices({ visibilityTimeoutSeconds: VISIBILITY, maxReceiveCount: 3 });
});
afterAll(() => s.close());

const submit = (body: object) => submitJob(body, { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger });

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const finished = (jobId: string, timeoutMs = 40_000) =>
  until(async () => {
    const job = await s.jobs.get(jobId);
    return job && (job.status === 'completed' || job.status === 'failed') ? job : undefined;
  }, timeoutMs, `job ${jobId} to finish`);

function agentWith(env: Record<string, string>) {
  const config = parseEnv(workerEnvSchema, { ...s.env, POOL_SIZE: '1', GVISOR_POOL_SIZE: '0', SQS_WAIT_SECONDS: '1', VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY), ...env });
  return buildWorkerAgent(config, s.logger);
}

function countCompletedEvents(jobId: string) {
  const subscriber = s.redis.duplicate();
  let completed = 0;
  void subscriber.subscribe(`rp:job:{${jobId}}:events`);
  subscriber.on('message', (_channel, message) => {
    if ((JSON.parse(message) as { type: string }).type === 'job.completed') completed++;
  });
  return { count: () => completed, close: () => subscriber.disconnect() };
}

describe('queue semantics', () => {
  it('completes a job that runs longer than the visibility timeout, once', async () => {
    const agent = agentWith({ WORKER_ID: `vis-${process.pid}` });
    await agent.start();
    const { jobId } = await submit({ language: 'python', source: 'import time\ntime.sleep(7)\nprint("done")', limits: { wallTimeMs: 15_000 } });
    const events = countCompletedEvents(jobId);

    const job = await finished(jobId);
    await new Promise((r) => setTimeout(r, VISIBILITY * 1000));
    await agent.stop();
    events.close();

    expect(job.result?.stdout).toBe('done\n');
    expect((await s.jobs.get(jobId))?.attempts).toBe(1);
    expect(events.count()).toBe(1);
  }, 60_000);

  it('marks a job failed with a stable error and dead-letters it after repeated infrastructure failures', async () => {
    const agent = agentWith({ WORKER_ID: `broken-${process.pid}`, SANDBOX_IMAGE: 'runplane-sandbox:does-not-exist', POOL_SIZE: '0', MAX_RECEIVE_COUNT: '2' });
    // The agent reads runtime versions at start; with a missing image it cannot start, so drive the consumer alone.
    agent.consumer.start();
    const { jobId } = await submit({ language: 'python', source: 'print(1)' });

    const job: JobRecord = await finished(jobId);
    await agent.stop();

    expect(job.status).toBe('failed');
    // The cause (the missing image) is in the worker's log; the user sees a stable code.
    expect(job.error).toEqual(INFRASTRUCTURE_ERROR);
    const dead = await until(async () => {
      const out = await s.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: s.resources.jobsDlqUrl, WaitTimeSeconds: 1 }));
      return out.Messages?.find((m) => m.Body?.includes(jobId));
    }, 10_000, 'the dead-lettered message');
    expect(JSON.parse(dead.Body!).jobId).toBe(jobId);
  }, 60_000);

  it('redelivers the job of a worker killed mid-job and stores exactly one result', async () => {
    const startWorker = (id: string): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'worker/main.ts')], {
        cwd: ROOT,
        env: { ...process.env, ...s.env, WORKER_ID: id, POOL_SIZE: '1', GVISOR_POOL_SIZE: '0', SQS_WAIT_SECONDS: '1', VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY), HEARTBEAT_INTERVAL_SECONDS: '1', HEARTBEAT_TTL_SECONDS: '3', LOG_LEVEL: 'warn' },
        stdio: 'ignore',
      });
    const first = startWorker(`killed-${process.pid}`);
    const { jobId } = await submit({ language: 'python', source: 'import time\ntime.sleep(2)\nprint("once")' });
    const events = countCompletedEvents(jobId);
    await until(async () => ((await s.hot.get(jobId))?.status === 'running' ? true : undefined), 30_000, 'the job to start');

    expect((await liveWorkers(s.redis)).map((w) => w.workerId)).toContain(`killed-${process.pid}`);
    first.kill('SIGKILL');
    const second = startWorker(`survivor-${process.pid}`);
    const job = await finished(jobId, 45_000);
    await new Promise((r) => setTimeout(r, 1_000));
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    events.close();

    // The killed agent stopped beating: gone from the list within its heartbeat TTL (3 s here).
    expect((await liveWorkers(s.redis)).map((w) => w.workerId)).not.toContain(`killed-${process.pid}`);
    expect(job.status).toBe('completed');
    expect(job.result?.stdout).toBe('once\n');
    // SQS's receive count: the killed worker's delivery and the survivor's (a long poll the killed
    // worker left open may have taken one more: SQS counts every delivery).
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    expect(job.executionLog?.attempts).toBe(job.attempts);
    expect(job.workerId).toBe(`survivor-${process.pid}`);
    expect(events.count()).toBe(1);
  }, 90_000);
});
