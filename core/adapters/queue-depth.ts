/**
 * The jobs queue's depth: messages waiting (visible) and received but not yet
 * deleted (in flight), read at most once per `cacheMs` per process
 * (GetQueueAttributes costs a round trip and SQS's numbers are approximate
 * anyway). Backpressure reads `visible()`; the local autoscaler `counts()`.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueCounts {
  visible: number;
  inFlight: number;
}

export class QueueDepth {
  private cached?: { value: QueueCounts; at: number };

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly cacheMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  async visible(): Promise<number> {
    return (await this.counts()).visible;
  }

  async counts(): Promise<QueueCounts> {
    if (this.cached && this.now() - this.cached.at < this.cacheMs) return this.cached.value;
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    const value = { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
    this.cached = { value, at: this.now() };
    return value;
  }
}
