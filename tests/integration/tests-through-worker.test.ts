/**
 * `tests` from `POST /run`'s use case through the queue and the worker's
 * delivery path to a real container and back through `GET /jobs/{id}`: what a
 * client sends and reads, with only HTTP left out (tests/e2e covers that).
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { getJob } from '../../functions/app/get-job.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { processDelivery } from '../../worker/process-job.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { testPool } from '../support/sandbox.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let pool: WarmPool;
const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };

beforeAll(async () => {
  s = await testServices();
  pool = testPool(1, { workerId: `tests-worker-${process.pid}` });
  await pool.start();
});
afterAll(async () => {
  await pool?.close();
  await s?.close();
});

/** Submits, then does what a worker does with the one message on the queue; returns the job as a client reads it. */
async function submitAndWork(body: object) {
  const { jobId } = await submitJob(body, tenant, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger });
  const out = await s.aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: s.resources.jobsQueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 5 }));
  const message = out.Messages?.[0];
  if (!message) throw new Error('no message on the jobs queue (SQS emulator)');
  const disposition = await processDelivery(
    { body: message.Body!, receiveCount: 1 },
    { workerId: 'w-tests', jobs: s.jobs, hot: s.hot, code: s.code, results: s.results, execute: poolExecutor({ standard: pool }), maxReceiveCount: 3, logger: s.logger },
  );
  expect(disposition).toEqual({ action: 'delete' });
  return getJob(jobId, tenant, s);
}

describe('a job with tests, through the worker', () => {
  it('runs 100 tests of one compiled C program and reads back the failure of test 37 as the verdict', async () => {
    const tests = Array.from({ length: 100 }, (_, i) => ({ stdin: `${i}`, expectedOutput: `${i === 37 ? -1 : i * i}` }));
    const source = '#include <stdio.h>\nint main(void){long x;scanf("%ld",&x);printf("%ld\\n",x*x);return 0;}';

    const job = await submitAndWork({ language: 'c', source, tests });

    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({ verdict: 'wrong_answer', failedTest: 37, stdout: '1369\n', message: 'tests[37]: wrong_answer', compile: { exitCode: 0 } });
    expect(job.result!.tests).toHaveLength(100);
    expect(job.result!.tests!.filter((t) => t.verdict !== 'ok').map((t) => t.index)).toEqual([37]);
  });

  it('carries tests too large to ride in the queue message through S3', async () => {
    const big = 'x'.repeat(40_000);
    const job = await submitAndWork({ language: 'python', source: 'print(len(input()))', tests: [{ stdin: big, expectedOutput: '40000' }, { stdin: `${big}${big}`, expectedOutput: '80000' }] });

    expect(job.result).toMatchObject({ verdict: 'ok' });
    expect(job.result!.tests!.map((t) => t.stdout)).toEqual(['40000\n', '80000\n']);
    expect(job.result!.failedTest).toBeUndefined();
  });
});
