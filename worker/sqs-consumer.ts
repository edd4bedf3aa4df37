/**
 * Long-polls the jobs queue and hands each delivery to `process`, never more
 * at once than `concurrency`. It receives only as many messages as it has
 * free slots, keeps a running job's message invisible, deletes a message only
 * after `process` says its result is stored, and moves poison messages to the
 * dead-letter queue. A job's slot frees as soon as its outcome is stored: the
 * delete goes out in a batch with its neighbours' (DeleteBatcher) while the
 * next job runs. `close()` stops receiving and drains what is in flight,
 * deletes included.
 */
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from '../core/logger.ts';
import { DeleteBatcher } from './sqs-delete-batcher.ts';

/** One received message, as `process` sees it. */
export interface Delivery {
  body: string;
  receiveCount: number;
}

/** What `process` says should happen to the message: delete it, retry it later, or dead-letter it. */
export type Disposition =
  | { action: 'delete' }
  | { action: 'dead-letter'; reason: string }
  | { action: 'retry'; reason: string };

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  concurrency: number;
  waitSeconds: number;
  visibilityTimeoutSeconds: number;
  process: (delivery: Delivery) => Promise<Disposition>;
  logger: Logger;
  /** Told how long each ReceiveMessage that returned messages took. */
  onReceive?: (durationMs: number, messages: number) => void;
  /** How long a finished message's delete waits for others to share its DeleteMessageBatch (default 20 ms). */
  deleteWindowMs?: number;
  /** Told how many messages each DeleteMessageBatch carried. */
  onDeleteBatch?: (messages: number) => void;
}

export class SqsConsumer {
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop?: Promise<void>;
  private poll?: AbortController;
  private slotFreed?: () => void;
  /** Ends a back-off wait early: close() must not sit out a failing queue's back-off. */
  private backoffWake?: () => void;
  private closing?: Promise<void>;

  private readonly options: ConsumerOptions;
  private readonly deletes: DeleteBatcher;

  constructor(options: ConsumerOptions) {
    this.options = { ...options };
    this.deletes = new DeleteBatcher(options.sqs, options.queueUrl, options.deleteWindowMs ?? 20, options.onDeleteBatch);
  }

  get busy(): number {
    return this.inFlight.size;
  }

  get concurrency(): number {
    return this.options.concurrency;
  }

  /** Changes how many jobs run at once (the auto-tuner); running jobs are not interrupted. */
  setConcurrency(concurrency: number): void {
    this.options.concurrency = Math.max(1, Math.floor(concurrency));
    this.slotFreed?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling and waits for in-flight jobs. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.running = false;
      this.poll?.abort();
      this.slotFreed?.();
      this.backoffWake?.();
      await this.loop;
      await Promise.allSettled([...this.inFlight]);
      await this.deletes.flush();
    })();
    return this.closing;
  }

  private async run(): Promise<void> {
    const { sqs, queueUrl, waitSeconds, logger } = this.options;
    let backoffMs = 0;
    while (this.running) {
      // Read on every turn: the auto-tuner changes it while the loop runs.
      const free = this.options.concurrency - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      this.poll = new AbortController();
      const started = performance.now();
      try {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(free, 10),
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: this.poll.signal },
        );
        backoffMs = 0;
        if (out.Messages?.length) this.options.onReceive?.(performance.now() - started, out.Messages.length);
        for (const message of out.Messages ?? []) this.dispatch(message);
      } catch (error) {
        if (!this.running) break;
        backoffMs = Math.min(Math.max(backoffMs * 2, 200), 5_000);
        logger.error({ err: error, backoffMs }, 'receive failed; backing off');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, backoffMs);
          this.backoffWake = () => (clearTimeout(timer), resolve());
        });
      }
    }
  }

  private dispatch(message: Message): void {
    const task = this.handle(message).finally(() => {
      this.inFlight.delete(task);
      this.slotFreed?.();
    });
    this.inFlight.add(task);
  }

  private async handle(message: Message): Promise<void> {
    const { logger } = this.options;
    const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? 1);
    const stopExtending = this.keepInvisible(message);
    let disposition: Disposition;
    try {
      disposition = await this.options.process({ body: message.Body ?? '', receiveCount });
    } catch (error) {
      // process() handles its own failures; reaching here means storing the outcome failed.
      disposition = { action: 'retry', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      stopExtending();
    }
    try {
      await this.settle(message, disposition, receiveCount);
    } catch (error) {
      logger.error({ err: error, messageId: message.MessageId }, 'could not settle message; SQS will redeliver it');
    }
  }

  private async settle(message: Message, disposition: Disposition, receiveCount: number): Promise<void> {
    const { sqs, queueUrl, deadLetterQueueUrl, logger } = this.options;
    const receipt = message.ReceiptHandle!;
    if (disposition.action === 'retry') {
      // Retry sooner than the full visibility timeout, backing off per attempt.
      const delay = Math.min(2 ** receiveCount, 60);
      logger.warn({ messageId: message.MessageId, reason: disposition.reason, retryInSeconds: delay }, 'job will be retried');
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt, VisibilityTimeout: delay }));
      return;
    }
    if (disposition.action === 'dead-letter') {
      logger.error({ messageId: message.MessageId, reason: disposition.reason }, 'moving message to the dead-letter queue');
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: message.Body ?? '',
          MessageAttributes: { reason: { DataType: 'String', StringValue: disposition.reason.slice(0, 1000) } },
        }),
      );
    }
    // Not awaited: the slot is free once the outcome is stored; close() waits for the batch.
    this.deletes.delete(receipt).catch((error: unknown) => logger.error({ err: error, messageId: message.MessageId }, 'could not delete message; SQS will redeliver it'));
  }

  /** Extends the message's visibility while its job runs, so long jobs are not redelivered mid-run. */
  private keepInvisible(message: Message): () => void {
    const { sqs, queueUrl, visibilityTimeoutSeconds, logger } = this.options;
    const timer = setInterval(() => {
      sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: visibilityTimeoutSeconds }))
        .catch((err: unknown) => logger.warn({ err, messageId: message.MessageId }, 'visibility extension failed'));
    }, (visibilityTimeoutSeconds * 1000) / 3);
    return () => clearInterval(timer);
  }
}
