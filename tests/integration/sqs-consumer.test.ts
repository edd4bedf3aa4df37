/**
 * The SQS consumer against the queue emulator: how many jobs it runs at once
 * follows its concurrency setting while the receive loop is running (the
 * auto-tuner changes it at run time).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsConsumer } from '../../worker/sqs-consumer.ts';
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

describe('the SQS consumer', () => {
  it('runs more jobs at once as soon as its concurrency is raised, while it is polling', async () => {
    const { sqs } = services.aws;
    const queueUrl = services.resources.jobsQueueUrl;
    // Each job holds its slot until the test lets it go.
    const held: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const consumer = new SqsConsumer({
      sqs,
      queueUrl,
      deadLetterQueueUrl: services.resources.jobsDlqUrl,
      concurrency: 1,
      waitSeconds: 1,
      visibilityTimeoutSeconds: 30,
      logger: services.logger,
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
