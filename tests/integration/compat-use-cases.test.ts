/**
 * The Judge0 and Piston use cases on real Redis, SQS, S3 and DynamoDB
 * emulators: what a submission stores, how it reads back in Judge0's shape as
 * the job moves on, tenant isolation, a refused submission leaving nothing,
 * and Piston's execute waiting on the real job waiter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import type { JobResult } from '../../core/contract.ts';
import { tenantLimitsSchema, type Tenant } from '../../core/tenants.ts';
import { CompatError } from '../../functions/compat/shared/http.ts';
import { JobSideData } from '../../core/adapters/job-side-data.ts';
import { SubmissionSettingsStore } from '../../functions/compat/judge0/settings-store.ts';
import { createSubmission, getBatch, getSubmission, type Judge0Deps } from '../../functions/compat/judge0/submissions.ts';
import { execute, type PistonDeps } from '../../functions/compat/piston/execute.ts';
import { JobWaiter } from '../../functions/lib/job-waiter.ts';
import { ApiError } from '../../core/errors.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let deps: Judge0Deps;
let n = 0;
const tenant = (limits: object = {}): Tenant => ({ tenantId: `compat-${process.pid}-${++n}`, limits: tenantLimitsSchema.parse({ ratePerSecond: 100, burst: 100, maxConcurrentJobs: 100, ...limits }) });
const versions = { python: '3.11.2', javascript: '20.19.2', typescript: '20.19.2', c: '12.2.0', cpp: '12.2.0', bash: '5.2.15' };
const ok: JobResult = { verdict: 'ok', stdout: 'cba\n', stderr: '', exitCode: 0, signal: null, timeMs: 15, cpuTimeMs: 9, memoryKb: 9000, truncated: false };

beforeAll(async () => {
  s = await testServices();
  deps = {
    code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, results: s.results, logger: s.logger,
    admission: new AdmissionControl(s.redis),
    waiter: new JobWaiter({ connect: async () => s.redis.duplicate(), hot: s.hot, jobs: s.jobs, results: s.results }),
    settings: new SubmissionSettingsStore(new JobSideData(s.redis, 'judge0', 600)),
    versions: async () => versions,
  };
});
afterAll(() => s.close());

/** What a worker does when it finishes a job: the record, then the hot state and its event. */
async function finish(jobId: string, result: JobResult) {
  const finishedAt = new Date().toISOString();
  const done = await s.jobs.complete(jobId, { result }, finishedAt);
  await s.hot.record({ ...done!, status: 'completed', result, finishedAt }, 'job.completed');
}

describe('Judge0 submissions on real services', () => {
  it('stores the job and its Judge0 settings, and reads back In Queue, then Accepted', async () => {
    const owner = tenant();
    const created = await createSubmission({ source_code: 'print(input()[::-1])', language_id: 71, stdin: 'abc', redirect_stderr_to_stdout: true, memory_limit: 64000 }, {}, owner, deps);
    const token = (created.body as { token: string }).token;

    expect(created.statusCode).toBe(201);
    expect(await s.jobs.get(token)).toMatchObject({ status: 'queued', language: 'python', limits: { memoryMb: 63, wallTimeMs: 10_000 } });
    expect(await deps.settings.get(token)).toMatchObject({ language_id: 71, memory_limit: 64000, redirect_stderr_to_stdout: true });
    expect((await getSubmission(token, {}, owner, deps)).body).toMatchObject({ token, status: { id: 1, description: 'In Queue' }, stdout: null });

    await finish(token, { ...ok, stderr: 'warn\n' });

    const read = await getSubmission(token, { fields: 'stdout,stderr,status,source_code,stdin,memory_limit,time' }, owner, deps);
    expect(read.body).toEqual({ stdout: 'cba\nwarn\n', stderr: null, status: { id: 3, description: 'Accepted' }, source_code: 'print(input()[::-1])', stdin: 'abc', memory_limit: 64000, time: '0.009' });
  });

  it('answers wait=true with the finished submission', async () => {
    const owner = tenant();
    const token = randomUUID();
    setTimeout(() => void finish(token, ok), 300);

    const res = await createSubmission({ source_code: 'x', language_id: 71 }, { wait: 'true' }, owner, { ...deps, newJobId: () => token });

    expect(res).toMatchObject({ statusCode: 201, body: { token, stdout: 'cba\n', status: { id: 3 } } });
  });

  it('hides another tenant\'s submission: 404 alone, null in a batch', async () => {
    const owner = tenant();
    const stranger = tenant();
    const token = ((await createSubmission({ source_code: 'x', language_id: 46 }, {}, owner, deps)).body as { token: string }).token;

    const error = await getSubmission(token, {}, stranger, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(404);
    expect((await getBatch({ tokens: token }, {}, stranger, deps)).body).toEqual({ submissions: [null] });
  });

  it('leaves no settings behind when the rate limit refuses the submission', async () => {
    const owner = tenant({ ratePerSecond: 0.01, burst: 1 });
    await createSubmission({ source_code: 'x', language_id: 71 }, {}, owner, deps);
    const token = randomUUID();

    const error = await createSubmission({ source_code: 'x', language_id: 71 }, {}, owner, { ...deps, newJobId: () => token }).catch((e: unknown) => e);

    expect((error as ApiError).statusCode).toBe(429);
    expect(await s.redis.keys(`rp:judge0:*`)).not.toContain(deps.settings.key(token));
    expect(await s.jobs.get(token)).toBeUndefined();
  });

  it('refuses an invalid submission before writing anything', async () => {
    const error = await createSubmission({ language_id: 71 }, {}, tenant(), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CompatError);
    expect(error).toMatchObject({ statusCode: 422, body: { source_code: ["can't be blank"] } });
  });
});

describe('Piston execute on real services', () => {
  const pistonDeps = (): PistonDeps => ({ ...deps });

  it('submits the job and answers with its result once a worker finished it', async () => {
    const jobId = randomUUID();
    setTimeout(() => void finish(jobId, ok), 300);

    const res = await execute({ language: 'py', version: '3.11', files: [{ content: 'print(input()[::-1])' }], stdin: 'abc' }, tenant(), { ...pistonDeps(), newJobId: () => jobId });

    expect(res).toMatchObject({ statusCode: 200, body: { language: 'python', version: '3.11.2', run: { stdout: 'cba\n', code: 0, status: null } } });
    expect(await s.code.inputOf((await s.jobs.get(jobId))!)).toMatchObject({ language: 'python', source: 'print(input()[::-1])', stdin: 'abc\n' });
  });

  it('answers 504 with the job id when the job does not finish within the wait', async () => {
    const res = await execute({ language: 'bash', version: '*', files: [{ content: 'sleep 60' }] }, tenant(), { ...pistonDeps(), waiter: { wait: async () => undefined } });
    expect(res).toMatchObject({ statusCode: 504, body: { message: expect.stringContaining('did not finish') } });
  });
});
