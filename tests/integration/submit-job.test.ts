import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../core/adapters/job-queue.ts';
import { jobMessageSchema } from '../../core/contract.ts';
import { ApiError } from '../../core/errors.ts';
import { MAX_SOURCE_BYTES, RECORD_INPUT_MAX_BYTES } from '../../core/limits.ts';
import { submitJob, type SubmitDeps } from '../../functions/app/submit-job.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let deps: SubmitDeps;
const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };

beforeAll(async () => {
  s = await testServices();
  deps = { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger };
});
afterAll(() => s.close());

async function receiveAll() {
  const out = await s.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: s.resources.jobsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (out.Messages ?? []).map((m) => jobMessageSchema.parse(JSON.parse(m.Body!)));
}

async function objectCount() {
  const out = await s.aws.s3.send(new ListObjectsV2Command({ Bucket: s.resources.codeBucket }));
  return out.KeyCount ?? 0;
}

async function visibleMessages() {
  const out = await s.aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: s.resources.jobsQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(out.Attributes!.ApproximateNumberOfMessages);
}

async function expectRejected(promise: Promise<unknown>, status: number) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).statusCode).toBe(status);
  return error as ApiError;
}

describe('submitting a job', () => {
  it('keeps a small input in the queued record (DynamoDB and Redis), writes no S3 object, and enqueues the job', async () => {
    const objectsBefore = await objectCount();
    const { jobId, status } = await submitJob({ language: 'python', source: 'print(input())', stdin: 'hi' }, tenant, deps);

    expect(status).toBe('queued');
    const record = await s.jobs.get(jobId);
    expect(record).toMatchObject({ jobId, tenantId: 'acme', status: 'queued', language: 'python' });
    expect(record?.inputKey).toBeUndefined();
    expect(await s.code.inputOf(record!)).toEqual({ language: 'python', source: 'print(input())', stdin: 'hi', args: [], files: [] });
    expect((await s.hot.get(jobId))?.status).toBe('queued');
    expect(await objectCount()).toBe(objectsBefore);
    const [message] = await receiveAll();
    expect(message).toMatchObject({ jobId, tenantId: 'acme', input: { source: 'print(input())', stdin: 'hi' } });
    expect(message?.inputKey).toBeUndefined();
  });

  it('stores an input over RECORD_INPUT_MAX_BYTES in S3 and still sends it inline', async () => {
    const source = `# ${'x'.repeat(RECORD_INPUT_MAX_BYTES)}\nprint(1)`;
    const { jobId } = await submitJob({ language: 'python', source }, tenant, deps);

    const record = await s.jobs.get(jobId);
    expect(record?.input).toBeUndefined();
    expect(record?.inputKey).toBe(`jobs/${jobId}/input.json`);
    expect((await s.code.inputOf(record!))?.source).toBe(source);
    const [message] = await receiveAll();
    expect(message).toMatchObject({ jobId, inputKey: record!.inputKey, input: { source } });
  });

  it('sends a large input by S3 key only, keeping the message small', async () => {
    const source = `# ${'x'.repeat(100_000)}\nprint(1)`;
    const { jobId } = await submitJob({ language: 'python', source }, tenant, deps);

    const [message] = await receiveAll();
    expect(message?.jobId).toBe(jobId);
    expect(message?.input).toBeUndefined();
    expect((await s.code.get(message!.inputKey!)).source).toBe(source);
  });

  it('rejects invalid input with 400 and leaves nothing behind', async () => {
    const before = { objects: await objectCount(), messages: await visibleMessages() };
    const error = await expectRejected(submitJob({ language: 'cobol', source: 'x', extra: 1 }, tenant, deps), 400);

    expect(error.fields?.map((f) => f.field)).toEqual(['language', 'extra']);
    expect({ objects: await objectCount(), messages: await visibleMessages() }).toEqual(before);
  });

  it('rejects a source over the size limit with 413', async () => {
    const error = await expectRejected(submitJob({ language: 'python', source: 'x'.repeat(MAX_SOURCE_BYTES + 1) }, tenant, deps), 413);
    expect(error.fields?.[0]?.field).toBe('source');
  });

  it('undoes the S3 object, record and hot state when enqueueing fails', async () => {
    const broken = { ...deps, queue: new JobQueue(s.aws.sqs, `${s.resources.jobsQueueUrl}-missing`), newJobId: () => 'job-undo-1' };
    const objectsBefore = await objectCount();

    // Large enough to be stored in S3, so that write is undone too.
    const source = `# ${'x'.repeat(RECORD_INPUT_MAX_BYTES)}\nprint(1)`;
    await expect(submitJob({ language: 'python', source }, tenant, broken)).rejects.toThrow();

    expect(await s.jobs.get('job-undo-1')).toBeUndefined();
    expect(await s.hot.get('job-undo-1')).toBeUndefined();
    expect(await objectCount()).toBe(objectsBefore);
  });
});
