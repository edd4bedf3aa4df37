/**
 * Submissions through admission control, idempotency keys and backpressure,
 * on real Redis, SQS, S3 and DynamoDB emulators: refused requests leave
 * nothing behind.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { IdempotencyKeys } from '../../core/adapters/idempotency.ts';
import { QueueDepth } from '../../core/adapters/queue-depth.ts';
import { createRequestRedis } from '../../core/adapters/redis.ts';
import { ApiError } from '../../core/errors.ts';
import { LIMIT_NAMES, MIN_LIMITS } from '../../core/limits.ts';
import { tenantLimitsSchema, type Tenant } from '../../core/tenants.ts';
import { submitJob, type SubmitDeps } from '../../functions/app/submit-job.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let deps: SubmitDeps;
let n = 0;
const tenant = (limits: Partial<Tenant['limits']> = {}): Tenant => ({
  tenantId: `acme-${process.pid}-${++n}`,
  limits: tenantLimitsSchema.parse({ ratePerSecond: 100, burst: 100, maxConcurrentJobs: 100, ...limits }),
});
const body = { language: 'python', source: 'print(1)' };

beforeAll(async () => {
  s = await testServices();
  deps = { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger, admission: new AdmissionControl(s.redis), idempotency: new IdempotencyKeys(s.redis) };
});
afterAll(() => s.close());

async function footprint() {
  const objects = (await s.aws.s3.send(new ListObjectsV2Command({ Bucket: s.resources.codeBucket }))).KeyCount ?? 0;
  const attrs = await s.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: s.resources.jobsQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return { objects, messages: Number(attrs.Attributes!.ApproximateNumberOfMessages) };
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('submitting through admission control', () => {
  it('answers 429 with Retry-After and RateLimit headers past the burst, and writes nothing for it', async () => {
    const t = tenant({ ratePerSecond: 0.01, burst: 2 });
    const first = await submitJob(body, t, deps);
    await submitJob(body, t, deps);
    expect(first.headers).toMatchObject({ 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1' });
    const before = await footprint();

    const error = await refusal(submitJob(body, t, deps));

    expect(error.statusCode).toBe(429);
    expect(error.headers).toMatchObject({ 'RateLimit-Remaining': '0', 'Retry-After': expect.stringMatching(/^\d+$/) });
    expect(await footprint()).toEqual(before);
  });

  it('answers 429 when the tenant has its maximum of jobs in flight', async () => {
    const t = tenant({ maxConcurrentJobs: 1 });
    await submitJob(body, t, deps);
    const error = await refusal(submitJob(body, t, deps));
    expect(error.statusCode).toBe(429);
    expect(error.message).toMatch(/1 jobs already queued or running/);
  });

  it('fails closed with 503 when Redis is unreachable, and writes nothing', async () => {
    const { redis } = createRequestRedis('redis://127.0.0.1:1', 'dead');
    const before = await footprint();
    const error = await refusal(submitJob(body, tenant(), { ...deps, admission: new AdmissionControl(redis) }));
    expect(error.statusCode).toBe(503);
    expect(error.headers['Retry-After']).toBe('1');
    expect(await footprint()).toEqual(before);
    redis.disconnect();
  });

  it('answers 503 with Retry-After when the queue backlog is over its limit', async () => {
    await submitJob(body, tenant(), deps);
    const backlog = { depth: new QueueDepth(s.aws.sqs, s.resources.jobsQueueUrl, 0), maxBacklog: 1 };
    await submitJob(body, tenant(), deps);
    const error = await refusal(submitJob(body, tenant(), { ...deps, backlog }));
    expect(error.statusCode).toBe(503);
    expect(error.headers['Retry-After']).toBe('5');
  });

  it("refuses a limit above the tenant's own maximum, naming it", async () => {
    const error = await refusal(submitJob({ ...body, limits: { memoryMb: 512 } }, tenant({ maxMemoryMb: 256 }), deps));
    expect(error.statusCode).toBe(400);
    expect(error.fields).toEqual([{ field: 'limits.memoryMb', reason: "above this tenant's maximum of 256" }]);
  });

  it.each(LIMIT_NAMES)("refuses limits.%s above the tenant's own ceiling for it", async (name) => {
    const ceiling = MIN_LIMITS[name] * 2;
    const t = tenant({ [`max${name[0]!.toUpperCase()}${name.slice(1)}`]: ceiling });

    const error = await refusal(submitJob({ ...body, limits: { [name]: ceiling + 1 } }, t, deps));

    expect(error.statusCode).toBe(400);
    expect(error.fields).toEqual([{ field: `limits.${name}`, reason: `above this tenant's maximum of ${ceiling}` }]);
  });
});

describe('Idempotency-Key', () => {
  it('returns the same job for the same key and body, without a new job', async () => {
    const t = tenant({ burst: 2, ratePerSecond: 0.01 });
    const first = await submitJob(body, t, deps, { idempotencyKey: 'order-1' });
    const before = await footprint();

    const again = await submitJob({ source: 'print(1)', language: 'python' }, t, deps, { idempotencyKey: 'order-1' });

    expect(again).toMatchObject({ jobId: first.jobId, replayed: true });
    expect(await footprint()).toEqual(before);
  });

  it('rate limits replays: each takes a token, so replaying with "wait" cannot hold Lambdas without limit', async () => {
    const t = tenant({ burst: 2, ratePerSecond: 0.01 });
    await submitJob(body, t, deps, { idempotencyKey: 'order-3' });
    const replay = await submitJob({ ...body, wait: 25 }, t, deps, { idempotencyKey: 'order-3' });
    expect(replay.replayed).toBe(true);
    expect(replay.headers).toMatchObject({ 'RateLimit-Remaining': '0' });

    const error = await refusal(submitJob({ ...body, wait: 25 }, t, deps, { idempotencyKey: 'order-3' }));

    expect(error.statusCode).toBe(429);
    expect(error.headers['Retry-After']).toMatch(/^\d+$/);
  });

  it('refuses the same key with another body (422)', async () => {
    const t = tenant();
    await submitJob(body, t, deps, { idempotencyKey: 'order-2' });
    const error = await refusal(submitJob({ ...body, source: 'print(2)' }, t, deps, { idempotencyKey: 'order-2' }));
    expect(error.statusCode).toBe(422);
    expect(error.code).toBe('idempotency_key_reused');
  });

  it('keeps keys per tenant', async () => {
    const a = await submitJob(body, tenant(), deps, { idempotencyKey: 'shared' });
    const b = await submitJob(body, tenant(), deps, { idempotencyKey: 'shared' });
    expect(b.jobId).not.toBe(a.jobId);
  });

  it('gives one job to concurrent requests with the same key', async () => {
    const t = tenant();
    const results = await Promise.all(Array.from({ length: 5 }, () => submitJob(body, t, deps, { idempotencyKey: 'race' })));
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  });
});
