/**
 * A per-entry refusal inside a DeleteMessageBatch. Real SQS answers an expired
 * receipt handle with a `Failed` entry beside the `Successful` ones; the
 * emulator (fauxqs) never does (it reports every entry deleted), so this case
 * uses a stand-in client that answers as SQS documents it. Everything else
 * about the batcher is tested against the emulator in
 * tests/integration/sqs-consumer.test.ts.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DeleteBatcher } from '../../../worker/sqs-delete-batcher.ts';

describe('DeleteBatcher', () => {
  it('rejects only the entries SQS lists as failed; the rest of the batch resolves', async () => {
    const standInSqs = {
      send: async (command: { input: { Entries: { Id: string; ReceiptHandle: string }[] } }) => {
        const entries = command.input.Entries;
        return {
          Successful: entries.filter((e) => e.ReceiptHandle !== 'expired').map((e) => ({ Id: e.Id })),
          Failed: entries.filter((e) => e.ReceiptHandle === 'expired').map((e) => ({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'The receipt handle has expired.' })),
        };
      },
    } as unknown as SQSClient;
    const batcher = new DeleteBatcher(standInSqs, 'https://sqs.example/queue', 5);

    const results = await Promise.allSettled([batcher.delete('r1'), batcher.delete('expired'), batcher.delete('r3')]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/ReceiptHandleIsInvalid/);
  });
});
