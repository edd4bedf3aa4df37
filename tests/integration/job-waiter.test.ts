/**
 * The waiter behind POST /run's `wait`, on real Redis and DynamoDB (dynalite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { JobWaiter } from '../../functions/lib/job-waiter.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let waiter: JobWaiter;
beforeAll(async () => {
  s = await testServices();
  waiter = new JobWaiter({ connect: async () => s.redis.duplicate(), hot: s.hot, jobs: s.jobs, results: s.results });
});
afterAll(() => s.close());

function record(jobId: string): JobRecord {
  return { jobId, tenantId: 'acme', status: 'queued', language: 'python', inputKey: `jobs/${jobId}/input.json`, limits: DEFAULT_LIMITS, isolation: 'standard', createdAt: new Date().toISOString() };
}

describe('waiting for a job', () => {
  it('answers at once for a finished job that Redis no longer holds (older than the hot-state TTL)', async () => {
    const jobId = `cold-${process.pid}`;
    await s.jobs.create(record(jobId));
    await s.jobs.complete(jobId, { result: { verdict: 'ok', stdout: 'done\n', stderr: '', exitCode: 0, signal: null, timeMs: 1, cpuTimeMs: 1, memoryKb: 1, truncated: false } }, new Date().toISOString());
    const started = Date.now();

    const job = await waiter.wait(jobId, 5);

    expect(job?.result?.stdout).toBe('done\n');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers when the job finishes while it waits', async () => {
    const jobId = `hot-${process.pid}`;
    await s.hot.record(record(jobId), 'job.queued');
    const waiting = waiter.wait(jobId, 5);
    await new Promise((r) => setTimeout(r, 200));

    await s.hot.record({ ...record(jobId), status: 'failed', error: { code: 'infrastructure_error', message: 'x' } }, 'job.failed');

    expect((await waiting)?.status).toBe('failed');
  });
});
