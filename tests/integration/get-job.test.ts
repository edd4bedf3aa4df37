import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../core/contract.ts';
import { ApiError } from '../../core/errors.ts';
import { getJob } from '../../functions/app/get-job.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
beforeAll(async () => {
  s = await testServices();
});
afterAll(() => s.close());

function record(jobId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    tenantId: 'acme',
    status: 'queued',
    language: 'python',
    inputKey: `jobs/${jobId}/input.json`,
    limits: { wallTimeMs: 1000, outputBytes: 1024, compileWallTimeMs: 1000 },
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('reading a job', () => {
  it('prefers the hot state in Redis over the DynamoDB record', async () => {
    await s.jobs.create(record('job-hot'));
    await s.hot.record(record('job-hot', { status: 'running' }), 'job.running');

    expect((await getJob('job-hot', { tenantId: 'acme' }, s)).status).toBe('running');
  });

  it('falls back to DynamoDB once the hot state has expired', async () => {
    await s.jobs.create(record('job-cold'));
    await s.jobs.complete('job-cold', { verdict: 'ok', stdout: 'x\n', stderr: '', exitCode: 0, timeMs: 5, truncated: false }, new Date().toISOString());

    const job = await getJob('job-cold', { tenantId: 'acme' }, s);
    expect(job.status).toBe('completed');
    expect(job.result?.stdout).toBe('x\n');
  });

  it('hides internal fields from the public view', async () => {
    const job = await getJob('job-cold', { tenantId: 'acme' }, s);
    expect(Object.keys(job)).not.toContain('tenantId');
    expect(Object.keys(job)).not.toContain('inputKey');
  });

  it.each([
    ['an unknown id', 'job-nope', 'acme'],
    ['another tenant\'s job', 'job-cold', 'globex'],
    ['a malformed id', '../../etc', 'acme'],
  ])('answers 404 for %s', async (_case, jobId, tenantId) => {
    const error = await getJob(jobId, { tenantId }, s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(404);
  });
});

describe('completing a job', () => {
  it('stores the first result only', async () => {
    await s.jobs.create(record('job-once'));
    const first = await s.jobs.complete('job-once', { verdict: 'ok', stdout: 'first', stderr: '', exitCode: 0, timeMs: 1, truncated: false }, new Date().toISOString());
    const second = await s.jobs.complete('job-once', { verdict: 'ok', stdout: 'second', stderr: '', exitCode: 0, timeMs: 1, truncated: false }, new Date().toISOString());

    expect(first?.result?.stdout).toBe('first');
    expect(second).toBeUndefined();
    expect((await s.jobs.get('job-once'))?.result?.stdout).toBe('first');
  });
});
