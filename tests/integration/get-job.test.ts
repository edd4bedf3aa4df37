import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { ApiError } from '../../core/errors.ts';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { DEFAULT_TENANT_LIMITS, tenantLimitsSchema } from '../../core/tenants.ts';
import { getJob } from '../../functions/app/get-job.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
beforeAll(async () => {
  s = await testServices();
});
afterAll(() => s.close());

const okResult = (stdout: string): JobResult => ({ verdict: 'ok', stdout, stderr: '', exitCode: 0, signal: null, timeMs: 1, cpuTimeMs: 1, memoryKb: 1, truncated: false });

function record(jobId: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    tenantId: 'acme',
    status: 'queued',
    language: 'python',
    inputKey: `jobs/${jobId}/input.json`,
    limits: DEFAULT_LIMITS,
    isolation: 'standard',
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

describe('reading a job', () => {
  it('prefers the hot state in Redis over the DynamoDB record', async () => {
    await s.jobs.create(record('job-hot'));
    await s.hot.record(record('job-hot', { status: 'running' }), 'job.running');

    expect((await getJob('job-hot', { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, s)).status).toBe('running');
  });

  it('falls back to DynamoDB once the hot state has expired', async () => {
    await s.jobs.create(record('job-cold'));
    await s.jobs.complete('job-cold', { result: okResult('x\n') }, new Date().toISOString());

    const job = await getJob('job-cold', { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, s);
    expect(job.status).toBe('completed');
    expect(job.result?.stdout).toBe('x\n');
  });

  it('hides internal fields from the public view', async () => {
    const job = await getJob('job-cold', { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS }, s);
    expect(Object.keys(job)).not.toContain('tenantId');
    expect(Object.keys(job)).not.toContain('inputKey');
  });

  it.each([
    ['an unknown id', 'job-nope', 'acme'],
    ['another tenant\'s job', 'job-cold', 'globex'],
    ['a malformed id', '../../etc', 'acme'],
  ])('answers 404 for %s', async (_case, jobId, tenantId) => {
    const error = await getJob(jobId, { tenantId, limits: DEFAULT_TENANT_LIMITS }, s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(404);
  });
});

describe('the read rate limit', () => {
  it("answers 429 with Retry-After past the tenant's read bucket, apart from its submissions", async () => {
    const tenant = { tenantId: `reader-${process.pid}`, limits: tenantLimitsSchema.parse({ ratePerSecond: 1, burst: 1, maxConcurrentJobs: 1, readRatePerSecond: 0.01, readBurst: 2 }) };
    await s.jobs.create(record('job-read', { tenantId: tenant.tenantId }));
    const limited = { ...s, admission: new AdmissionControl(s.redis) };
    await getJob('job-read', tenant, limited);
    await getJob('job-read', tenant, limited);

    const error = await getJob('job-read', tenant, limited).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(429);
    expect((error as ApiError).headers['Retry-After']).toMatch(/^\d+$/);
    expect((await new AdmissionControl(s.redis).consume(tenant.tenantId, tenant.limits)).decision).toBe('admitted');
  });
});

describe('completing a job', () => {
  it('stores the first result only', async () => {
    await s.jobs.create(record('job-once'));
    const first = await s.jobs.complete('job-once', { result: okResult('first') }, new Date().toISOString());
    const second = await s.jobs.complete('job-once', { result: okResult('second') }, new Date().toISOString());

    expect(first?.result?.stdout).toBe('first');
    expect(second).toBeUndefined();
    expect((await s.jobs.get('job-once'))?.result?.stdout).toBe('first');
  });
});
