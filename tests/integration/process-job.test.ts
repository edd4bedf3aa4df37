/**
 * One delivery through worker/process-job.ts on real DynamoDB (dynalite), S3
 * (fauxqs) and Redis, with a stand-in for the sandbox: what the job's record
 * and public view hold afterwards is the point here, not the run itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotState } from '../../core/adapters/hot-state.ts';
import { createRequestRedis } from '../../core/adapters/redis.ts';
import { publicJobView, type JobMessage, type JobRecord, type JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { getJob } from '../../functions/app/get-job.ts';
import { JobWaiter } from '../../functions/lib/job-waiter.ts';
import { processDelivery, type ProcessDeps } from '../../worker/process-job.ts';
import { testServices, type TestServices } from '../support/services.ts';
import { until } from '../support/until.ts';
import { redisKeys } from '../../core/adapters/redis-keys.ts';

let s: TestServices;
let n = 0;
beforeAll(async () => {
  s = await testServices();
});
afterAll(() => s.close());

/**
 * A job as the control plane leaves it: record in DynamoDB, message ready for the queue; with
 * `hot`, its queued state in Redis too, as `POST /run` writes it (without: Redis lost it).
 */
async function queuedJob(options: { hot?: boolean } = {}): Promise<JobMessage> {
  const jobId = `pj-${process.pid}-${++n}`;
  const createdAt = new Date().toISOString();
  const record: JobRecord = { jobId, tenantId: 'acme', status: 'queued', language: 'python', inputKey: `jobs/${jobId}/input.json`, limits: DEFAULT_LIMITS, isolation: 'standard', createdAt };
  await s.jobs.create(record);
  if (options.hot) await s.hot.record(record, 'job.queued');
  return { jobId, tenantId: 'acme', inputKey: record.inputKey, input: { language: 'python', source: 'print(1)', stdin: '', args: [], files: [] }, limits: DEFAULT_LIMITS, isolation: 'standard', aiEnabled: true, submittedAt: createdAt };
}

function deps(execute: ProcessDeps['execute']): ProcessDeps {
  return { workerId: 'w-test', jobs: s.jobs, hot: s.hot, code: s.code, results: s.results, execute, maxReceiveCount: 3, logger: s.logger };
}

const deliver = (message: JobMessage, d: ProcessDeps, receiveCount = 1) => processDelivery({ body: JSON.stringify(message), receiveCount }, d);

describe('an infrastructure failure', () => {
  it('shows the user a stable code and message, never the internal error text', async () => {
    const message = await queuedJob();
    const failing = deps(async () => {
      throw new Error('ValidationException: Item size has exceeded the maximum allowed size (arn:aws:dynamodb:eu-west-1:123:table/prod-jobs)');
    });

    const disposition = await deliver(message, failing, 3);

    expect(disposition.action).toBe('dead-letter');
    const job = publicJobView((await s.jobs.get(message.jobId))!);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ code: 'infrastructure_error', message: expect.stringMatching(/could not run the job/) });
    expect(JSON.stringify(job)).not.toMatch(/ValidationException|dynamodb|arn:/i);
    expect(JSON.stringify(await s.hot.get(message.jobId))).not.toMatch(/ValidationException/);
  });

  it('shows a stable error for a job failed before this change, whose record holds the raw text', async () => {
    const message = await queuedJob();
    await s.hot.record({ ...(await s.jobs.get(message.jobId))!, status: 'failed', error: 'gave up after 3 attempts: connect ECONNREFUSED /var/run/docker.sock' } as unknown as JobRecord, 'job.failed');

    const job = publicJobView((await s.hot.get(message.jobId))!);

    expect(job.error).toEqual({ code: 'infrastructure_error', message: expect.stringMatching(/could not run the job/) });
  });
});

const MiB = 1024 * 1024;
const bigResult = (): JobResult => ({ verdict: 'ok', stdout: 'o'.repeat(MiB), stderr: 'e'.repeat(MiB), exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 900, truncated: false });

describe('a result larger than a DynamoDB item (400 KB)', () => {
  it('completes the job on the first delivery', async () => {
    const message = await queuedJob();
    let runs = 0;

    const disposition = await deliver(message, deps(async () => (runs++, bigResult())));

    expect(disposition).toEqual({ action: 'delete' });
    expect(runs).toBe(1);
    expect((await s.jobs.get(message.jobId))?.status).toBe('completed');
  });

  it('reads back whole through GET /jobs/{id}, from the hot state and from DynamoDB', async () => {
    const message = await queuedJob();
    await deliver(message, deps(async () => bigResult()));

    const fromHot = await getJob(message.jobId, { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, s);
    await s.hot.delete(message.jobId);
    const fromDynamo = await getJob(message.jobId, { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, s);

    for (const job of [fromHot, fromDynamo]) {
      expect(job.result?.stdout).toHaveLength(MiB);
      expect(job.result?.stderr).toHaveLength(MiB);
      expect(job.result?.verdict).toBe('ok');
    }
  });

  it('reads back whole through the waiter of POST /run', async () => {
    const message = await queuedJob();
    const waiter = new JobWaiter({ connect: async () => s.redis.duplicate(), hot: s.hot, jobs: s.jobs, results: s.results });
    const waiting = waiter.wait(message.jobId, 10);

    await deliver(message, deps(async () => bigResult()));

    expect((await waiting)?.result?.stdout).toHaveLength(MiB);
  });

  it('keeps a small result in the record itself', async () => {
    const message = await queuedJob();
    await deliver(message, deps(async () => ({ ...bigResult(), stdout: 'hi\n', stderr: '' })));

    expect((await s.jobs.get(message.jobId))?.result?.stdout).toBe('hi\n');
  });
});

describe('Redis unavailable (outage or failover) during a delivery', () => {
  const okResult = (): JobResult => ({ verdict: 'ok', stdout: '1\n', stderr: '', exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 900, truncated: false });

  it('stores the result on the first delivery even when Redis cannot be told the job is running', async () => {
    const message = await queuedJob();
    // A hot state whose Redis is gone: every command fails at once.
    const { redis: dead } = createRequestRedis('redis://127.0.0.1:1', 'dead-hot');
    let runs = 0;
    const observed: string[] = [];
    const finished: string[] = [];

    const disposition = await deliver(message, {
      ...deps(async () => (runs++, okResult())),
      hot: new HotState(dead, 600),
      observe: (o) => observed.push(o.outcome),
      onFinished: (job) => finished.push(job.status),
    });

    // Telling Redis of the completion failed too: the message is retried to tell it, not to run again.
    expect(disposition.action).toBe('retry');
    expect(runs).toBe(1);
    expect((await s.jobs.get(message.jobId))?.status).toBe('completed');
    // The delivery that stored the result counts it and sends its callback, Redis or not (a redelivery does neither).
    expect(observed).toEqual(['ok']);
    expect(finished).toEqual(['completed']);
    dead.disconnect();
  });

  it('repairs the hot state when the finished job is delivered again', async () => {
    const message = await queuedJob();
    const { redis: dead } = createRequestRedis('redis://127.0.0.1:1', 'dead-hot');
    await deliver(message, { ...deps(async () => okResult()), hot: new HotState(dead, 600) });
    dead.disconnect();
    let runs = 0;

    const disposition = await deliver(message, deps(async () => (runs++, okResult())), 2);

    expect(disposition).toEqual({ action: 'delete' });
    expect(runs).toBe(0);
    expect((await s.hot.get(message.jobId))?.status).toBe('completed');
  });
});

describe('the claim of a delivered job', () => {
  const okResult = (): JobResult => ({ verdict: 'ok', stdout: '1\n', stderr: '', exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 900, truncated: false });
  /** A job store that counts what the worker asks of DynamoDB. */
  const counting = () => {
    const calls = { get: 0 };
    const jobs = Object.create(s.jobs) as typeof s.jobs;
    jobs.get = async (jobId: string) => (calls.get++, s.jobs.get(jobId));
    return { jobs, calls };
  };

  it('is one Redis step: the job runs as running in Redis, while its DynamoDB record is written only with the result', async () => {
    const message = await queuedJob({ hot: true });
    const { jobs, calls } = counting();
    const events: string[] = [];
    const subscriber = s.redis.duplicate();
    subscriber.on('message', (_channel: string, raw: string) => events.push((JSON.parse(raw) as { type: string }).type));
    await subscriber.subscribe(redisKeys.jobEvents(message.jobId));
    let during: [string | undefined, string | undefined] = [undefined, undefined];

    await deliver(message, { ...deps(async () => {
      during = [(await s.hot.get(message.jobId))?.status, (await s.jobs.get(message.jobId))?.status];
      return okResult();
    }), jobs });

    expect(during).toEqual(['running', 'queued']);
    expect(calls.get).toBe(0);
    const record = await s.jobs.get(message.jobId);
    expect(record).toMatchObject({ status: 'completed', workerId: 'w-test', attempts: 1, startedAt: expect.any(String) });
    expect(Date.parse(record!.startedAt!)).toBeLessThanOrEqual(Date.parse(record!.finishedAt!));
    await until(async () => (events.length >= 2 ? true : undefined), 'the events');
    expect(events).toEqual(['job.running', 'job.completed']);
    subscriber.disconnect();
  });

  it('leaves in Redis exactly the record DynamoDB holds once the job is finished (built, not read back)', async () => {
    const message = await queuedJob({ hot: true });

    await deliver(message, deps(async () => okResult()));

    const stored = await s.jobs.get(message.jobId);
    expect(stored?.status).toBe('completed');
    expect(await s.hot.get(message.jobId)).toEqual(stored);
  });

  it('does not run a job Redis knows is finished, without reading DynamoDB on a first delivery (an SQS duplicate)', async () => {
    const message = await queuedJob({ hot: true });
    await deliver(message, deps(async () => okResult()));
    const { jobs, calls } = counting();
    let runs = 0;

    const disposition = await deliver(message, { ...deps(async () => (runs++, okResult())), jobs }, 1);

    expect(disposition).toEqual({ action: 'delete' });
    expect([runs, calls.get]).toEqual([0, 0]);
    expect((await s.jobs.get(message.jobId))?.executionLog?.attempts).toBe(1);
  });

  it('does not run a redelivered job that an earlier delivery finished but could not tell Redis (Redis still says running)', async () => {
    const message = await queuedJob({ hot: true });
    // The first delivery claims it (running in Redis), stores the result, then Redis fails it.
    const failingAfterClaim = Object.create(s.hot) as typeof s.hot;
    failingAfterClaim.record = async () => { throw new Error('Connection is closed.'); };
    const first = await deliver(message, { ...deps(async () => okResult()), hot: failingAfterClaim });
    expect(first.action).toBe('retry');
    expect((await s.hot.get(message.jobId))?.status).toBe('running');
    const { jobs, calls } = counting();
    let runs = 0;

    const disposition = await deliver(message, { ...deps(async () => (runs++, okResult())), jobs }, 2);

    expect(disposition).toEqual({ action: 'delete' });
    expect([runs, calls.get]).toEqual([0, 1]);
    expect((await s.hot.get(message.jobId))?.status).toBe('completed');
  });

  it('reads the record when Redis lost the job: runs a queued one (and announces it), not a finished one', async () => {
    const queued = await queuedJob();
    const { jobs, calls } = counting();
    let runs = 0;

    await deliver(queued, { ...deps(async () => (runs++, okResult())), jobs });

    expect([runs, calls.get]).toEqual([1, 1]);
    expect((await s.hot.get(queued.jobId))?.status).toBe('completed');
    await s.hot.delete(queued.jobId);
    const again = await deliver(queued, { ...deps(async () => (runs++, okResult())), jobs }, 2);
    expect(again).toEqual({ action: 'delete' });
    expect(runs).toBe(1);
    // …and Redis is told the outcome again.
    expect((await s.hot.get(queued.jobId))?.status).toBe('completed');
  });

  it('keeps the first result when another delivery finished the job during this run, and tells Redis', async () => {
    const message = await queuedJob({ hot: true });
    const disposition = await deliver(message, deps(async () => {
      // Another worker got the same message (its visibility ran out) and finished first.
      await s.jobs.complete(message.jobId, { result: { ...okResult(), stdout: 'first\n' } }, new Date().toISOString());
      return { ...okResult(), stdout: 'second\n' };
    }));

    expect(disposition).toEqual({ action: 'delete' });
    expect((await s.jobs.get(message.jobId))?.result?.stdout).toBe('first\n');
    expect((await s.hot.get(message.jobId))).toMatchObject({ status: 'completed', result: { stdout: 'first\n' } });
  });
});
