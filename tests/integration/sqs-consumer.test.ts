/**
 * The SQS consumer against the queue emulator: how many jobs it runs at once
 * follows its concurrency setting while the receive loop is running (the
 * auto-tuner changes it at run time); finished messages are deleted in
 * batches, after their slot is already free, and close() waits for them.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsConsumer, type ConsumerOptions } from '../../worker/sqs-consumer.ts';
import { DeleteBatcher } from '../../worker/sqs-delete-batcher.ts';
import { testServices, type TestServices } from '../support/services.ts';

let services: TestServices;
beforeAll(async () => {
  services = await testServices();
});
afterAll(() => services.close());

async function until(check: () => boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A consumer of this file's queue with one slot; `overrides` set the rest. */
function oneSlotConsumer(overrides: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'process'>): SqsConsumer {
  return new SqsConsumer({
    sqs: services.aws.sqs,
    queueUrl: services.resources.jobsQueueUrl,
    deadLetterQueueUrl: services.resources.jobsDlqUrl,
    concurrency: 1,
    waitSeconds: 1,
    visibilityTimeoutSeconds: 30,
    logger: services.logger,
    ...overrides,
  });
}

describe('the SQS consumer', () => {
  it('runs more jobs at once as soon as its concurrency is raised, while it is polling', async () => {
    const { sqs } = services.aws;
    const queueUrl = services.resources.jobsQueueUrl;
    // Each job holds its slot until the test lets it go.
    const held: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const consumer = oneSlotConsumer({
      process: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((release) => held.push(release));
        running--;
        return { action: 'delete' };
      },
    });
    for (let i = 0; i < 3; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `job-${i}` }));
    consumer.start();
    await until(() => running === 1, 'the first job');
    // The loop is now waiting for a free slot with one job held.

    consumer.setConcurrency(3);
    await until(() => running === 3, 'three jobs at once after the raise');

    expect(peak).toBe(3);
    expect(consumer.concurrency).toBe(3);
    held.forEach((release) => release());
    await consumer.close();
  });
});

/** The real client, with the name of every command it sends written down. */
function countingClient(sqs: SQSClient): { client: SQSClient; sent: string[] } {
  const sent: string[] = [];
  const client = { send: (command: { constructor: { name: string } }, ...rest: unknown[]) => (sent.push(command.constructor.name), (sqs.send as (...a: unknown[]) => unknown)(command, ...rest)) };
  return { client: client as unknown as SQSClient, sent };
}

async function messagesLeft(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

async function receiveAll(sqs: SQSClient, queueUrl: string, count: number): Promise<string[]> {
  const receipts: string[] = [];
  while (receipts.length < count) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    receipts.push(...(out.Messages ?? []).map((m) => m.ReceiptHandle!));
  }
  return receipts;
}

describe('deleting finished messages in batches', () => {
  it('sends the deletes that meet within the window as one DeleteMessageBatch, ten at most', async () => {
    const { sqs } = services.aws;
    const queueUrl = services.resources.jobsQueueUrl;
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
    for (let i = 0; i < 12; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `batch-${i}` }));
    const receipts = await receiveAll(sqs, queueUrl, 12);
    const { client, sent } = countingClient(sqs);
    const batcher = new DeleteBatcher(client, queueUrl, 60_000);

    const deletes = receipts.map((receipt) => batcher.delete(receipt));

    // The tenth filled a batch, which left at once; the last two wait for the window (a minute) or a flush.
    await Promise.all(deletes.slice(0, 10));
    expect(sent).toEqual(['DeleteMessageBatchCommand']);
    expect(await messagesLeft(sqs, queueUrl)).toBe(2);
    await batcher.flush();
    await Promise.all(deletes);
    expect(sent).toEqual(['DeleteMessageBatchCommand', 'DeleteMessageBatchCommand']);
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });

  it('rejects every delete of a batch that SQS refused as a whole', async () => {
    const { sqs } = services.aws;
    const missingQueue = `${services.resources.jobsQueueUrl}-does-not-exist`;
    const batcher = new DeleteBatcher(sqs, missingQueue, 5);

    const results = await Promise.allSettled([batcher.delete('a'), batcher.delete('b')]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/exist/i);
  });

  it("frees a job's slot before its message is deleted, and close() waits for the delete", async () => {
    const { sqs } = services.aws;
    const queueUrl = services.resources.jobsQueueUrl;
    for (let i = 0; i < 2; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `slot-${i}` }));
    const { client, sent } = countingClient(sqs);
    const done: string[] = [];
    const consumer = oneSlotConsumer({
      sqs: client,
      // Far longer than the test: the first delete can only leave with the second, or at close.
      deleteWindowMs: 600_000,
      process: async ({ body }) => (done.push(body), { action: 'delete' }),
    });
    consumer.start();
    // One slot: the second job can start only once the first one's slot is free.
    await until(() => done.length === 2, 'both jobs, one after the other, on one slot');
    expect(sent.filter((name) => name !== 'ReceiveMessageCommand')).toEqual([]);
    expect(await messagesLeft(sqs, queueUrl)).toBe(2);

    await consumer.close();

    expect(sent.filter((name) => name !== 'ReceiveMessageCommand')).toEqual(['DeleteMessageBatchCommand']);
    expect(await messagesLeft(sqs, queueUrl)).toBe(0);
  });
});
