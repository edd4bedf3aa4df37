/**
 * Backpressure input: the jobs queue's visible backlog, read at most once per
 * `cacheMs` per process (GetQueueAttributes costs a round trip and SQS's
 * number is approximate anyway).
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export class QueueDepth {
  private cached?: { value: number; at: number };

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly cacheMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  async visible(): Promise<number> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.value;
    const out = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const value = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    this.cached = { value, at: this.now() };
    return value;
  }
}
