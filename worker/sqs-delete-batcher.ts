/**
 * Deletes finished messages in batches. DeleteMessageBatch takes up to 10
 * receipts in one request, where DeleteMessage takes one: SQS bills per
 * request, and each request costs the worker CPU (signing, HTTP, parsing) that
 * its cores should spend on user code. A receipt waits at most `windowMs` for
 * company; a full batch leaves at once. Nothing waits on a delete but the
 * drain at shutdown: the job's result is stored before its message is handed
 * here, and a message whose delete fails is redelivered, found finished and
 * deleted again (processDelivery reads the record on a redelivery).
 */
import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's own ceiling on the entries of one DeleteMessageBatch. */
export const MAX_BATCH = 10;

interface Pending {
  receipt: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class DeleteBatcher {
  private pending: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly windowMs: number,
    /** Told the size of each batch sent. */
    private readonly onBatch: (messages: number) => void = () => undefined,
  ) {}

  /** Resolves once SQS has deleted the message; rejects with SQS's reason when it did not. */
  delete(receipt: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ receipt, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.send();
      else this.timer ??= setTimeout(() => this.send(), this.windowMs);
    });
  }

  /** Sends whatever waits now and resolves when every batch sent so far has been answered. */
  async flush(): Promise<void> {
    if (this.pending.length > 0) this.send();
    await Promise.allSettled([...this.sending]);
  }

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Never more than MAX_BATCH wait: delete() sends as soon as the tenth arrives.
    const batch = this.pending.splice(0, MAX_BATCH);
    const request = this.deleteBatch(batch).finally(() => this.sending.delete(request));
    this.sending.add(request);
    this.onBatch(batch.length);
  }

  private async deleteBatch(batch: Pending[]): Promise<void> {
    try {
      const out = await this.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((entry, i) => ({ Id: String(i), ReceiptHandle: entry.receipt })) }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      batch.forEach((entry, i) => {
        const failure = failed.get(String(i));
        if (failure) entry.reject(new Error(`DeleteMessageBatch refused the receipt: ${failure.Code ?? 'unknown'} ${failure.Message ?? ''}`.trim()));
        else entry.resolve();
      });
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      for (const entry of batch) entry.reject(reason);
    }
  }
}
