import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../core/config.ts';
import type { JobRecord } from '../../core/contract.ts';
import { getJob } from '../../functions/app/get-job.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { liveWorkers } from '../../core/adapters/worker-registry.ts';
import type { WorkerAgent } from '../../worker/agent.ts';
import { buildWorkerAgent } from '../../worker/wiring.ts';
import { workerEnvSchema } from '../../worker/config.ts';
import { containersOf } from '../support/sandbox.ts';
import { testServices, type TestServices } from '../support/services.ts';
import { until } from '../support/until.ts';

let s: TestServices;
let agent: WorkerAgent;
const WORKER_ID = `agent-test-${process.pid}`;
const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };

beforeAll(async () => {
  s = await testServices();
  const config = parseEnv(workerEnvSchema, { ...s.env, WORKER_ID, POOL_SIZE: '1', WORKER_CONCURRENCY: '2', SQS_WAIT_SECONDS: '1', HEARTBEAT_INTERVAL_SECONDS: '1' });
  agent = buildWorkerAgent(config, s.logger);
  await agent.start();
});
afterAll(async () => {
  await agent.stop();
  await s.close();
});

async function finished(jobId: string, timeoutMs = 30_000): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await s.jobs.get(jobId);
    if (job && (job.status === 'completed' || job.status === 'failed')) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function queueDepth(url: string) {
  const out = await s.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(out.Attributes!.ApproximateNumberOfMessages) + Number(out.Attributes!.ApproximateNumberOfMessagesNotVisible);
}

const submit = (body: object) => submitJob(body, tenant, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger });

describe('the worker agent', () => {
  it('runs a queued job and stores its result in DynamoDB and Redis, then deletes the message', async () => {
    const { jobId } = await submit({ language: 'python', source: 'print(input()[::-1])', stdin: 'abc' });

    const job = await finished(jobId);
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({ verdict: 'ok', stdout: 'cba\n', exitCode: 0 });
    expect(job.workerId).toBe(WORKER_ID);
    expect((await s.hot.get(jobId))?.result?.stdout).toBe('cba\n');
    await expect.poll(() => queueDepth(s.resources.jobsQueueUrl)).toBe(0);
  });

  it('keeps an execution log: worker, container, pool hit, attempts and phase times, shown on request', async () => {
    const { jobId } = await submit({ language: 'python', source: 'print(1)' });
    await finished(jobId);

    const withLog = await getJob(jobId, tenant, s, { includeLog: true });
    const log = withLog.executionLog!;
    expect(log).toMatchObject({ workerId: WORKER_ID, isolation: 'standard', attempts: 1, poolHit: expect.any(Boolean), containerId: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const times = [log.acceptedAt, log.receivedAt, log.startedAt!, log.finishedAt].map(Date.parse);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((await getJob(jobId, tenant, s)).executionLog).toBeUndefined();
  });

  it('publishes queued, running and completed events in order', async () => {
    const subscriber = s.redis.duplicate();
    const events: string[] = [];
    await subscriber.psubscribe('rp:job:*:events');
    subscriber.on('pmessage', (_p, _c, message) => events.push(message));

    const { jobId } = await submit({ language: 'javascript', source: 'console.log(6*7)' });
    const typesOf = () => events.map((e) => JSON.parse(e) as { type: string; jobId: string }).filter((e) => e.jobId === jobId).map((e) => e.type);
    await finished(jobId);
    // The completed event reaches this subscriber after the job record says so, as fast as the machine allows.
    await expect.poll(typesOf, { timeout: 20_000 }).toContain('job.completed');
    subscriber.disconnect();

    expect(typesOf()).toEqual(['job.queued', 'job.running', 'job.completed']);
  });

  it('fetches a large input from S3 when it is not inline', async () => {
    const source = `x = "${'a'.repeat(80_000)}"\nprint(len(x))`;
    const { jobId } = await submit({ language: 'python', source });
    expect((await finished(jobId)).result?.stdout).toBe('80000\n');
  });

  it('moves a malformed message to the dead-letter queue and keeps running jobs', async () => {
    await s.aws.sqs.send(new SendMessageCommand({ QueueUrl: s.resources.jobsQueueUrl, MessageBody: '{"not":"a job"' }));

    const deadline = Date.now() + 15_000;
    let dead: string | undefined;
    while (!dead && Date.now() < deadline) {
      const out = await s.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: s.resources.jobsDlqUrl, WaitTimeSeconds: 1 }));
      dead = out.Messages?.[0]?.Body;
    }
    expect(dead).toBe('{"not":"a job"');

    const { jobId } = await submit({ language: 'python', source: 'print("still alive")' });
    expect((await finished(jobId)).result?.stdout).toBe('still alive\n');
  });

  it('does not run a completed job again when its message is delivered again', async () => {
    const { jobId } = await submit({ language: 'python', source: 'import time\nprint(time.time_ns())' });
    const first = await finished(jobId);
    const message = { jobId, tenantId: 'acme', inputKey: first.inputKey, input: first.input, limits: first.limits, submittedAt: first.createdAt };

    await s.aws.sqs.send(new SendMessageCommand({ QueueUrl: s.resources.jobsQueueUrl, MessageBody: JSON.stringify(message) }));
    const deadline = Date.now() + 10_000;
    while ((await queueDepth(s.resources.jobsQueueUrl)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    expect(await queueDepth(s.resources.jobsQueueUrl)).toBe(0);
    expect((await s.jobs.get(jobId))?.result?.stdout).toBe(first.result?.stdout);
  });

  it('exports Prometheus metrics for the jobs it ran', async () => {
    const body = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(body).toMatch(/^runplane_jobs_total\{language="python",verdict="ok"\} [1-9]\d*$/m);
    expect(body).toMatch(/^runplane_job_phase_duration_seconds_count\{phase="queue_wait"\} [1-9]\d*$/m);
    expect(body).toMatch(/^runplane_job_phase_duration_seconds_count\{phase="start"\} [1-9]\d*$/m);
    expect(body).toMatch(/^runplane_pool_acquisitions_total\{isolation="standard",result="(hit|miss)"\} [1-9]\d*$/m);
    expect(body).toMatch(/^runplane_pool_target_containers\{isolation="standard"\} 1$/m);
    expect(body).toMatch(/^runplane_sqs_receive_duration_seconds_count [1-9]\d*$/m);
  });

  it('heartbeats its status to Redis, listed as a live worker', async () => {
    const me = async () => (await liveWorkers(s.redis)).find((w) => w.workerId === WORKER_ID);
    await expect.poll(async () => (await me())?.lastJobAt, { timeout: 5_000 }).not.toBeNull();
    expect(await me()).toMatchObject({ capacity: 2, busy: expect.any(Number), version: expect.any(String), pools: { standard: { target: 1 } } });
  });

  it('drains in-flight jobs on stop and removes its containers', async () => {
    const config = parseEnv(workerEnvSchema, { ...s.env, WORKER_ID: `${WORKER_ID}-drain`, POOL_SIZE: '1', SQS_WAIT_SECONDS: '1' });
    const second = buildWorkerAgent(config, s.logger);
    await agent.stop();
    // The stopped agent's aborted long poll may still be open on the emulator's side and
    // would swallow the next message until its visibility timeout; let it expire first.
    await new Promise((r) => setTimeout(r, 1_500));
    await second.start();
    const { jobId } = await submit({ language: 'python', source: 'import time\ntime.sleep(1.5)\nprint("drained")' });
    await until(async () => ((await s.hot.get(jobId))?.status === 'running' ? true : undefined), 'the job to be running');

    await second.stop();

    expect((await s.jobs.get(jobId))?.result?.stdout).toBe('drained\n');
    expect(await containersOf(`${WORKER_ID}-drain`)).toHaveLength(0);
    expect(await containersOf(WORKER_ID)).toHaveLength(0);
    // A clean stop takes the worker off the list at once.
    expect((await liveWorkers(s.redis)).map((w) => w.workerId)).not.toContain(WORKER_ID);
  });
});
