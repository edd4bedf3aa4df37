/**
 * Durable job records in DynamoDB: written `queued` by `POST /run`, then once
 * more when the job finishes, by a conditional write, so a job is completed
 * exactly once however many times SQS delivers it. That a job is running is
 * hot state only (Redis, core/adapters/hot-state.ts): a DynamoDB write per job
 * for it cost ~2 ms of CPU and a round trip on every job's path.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jobRecordSchema, type JobError, type JobRecord, type JobResult } from '../contract.ts';

/** A finished job's result as the record holds it: inline, or where it is in S3. */
export type StoredResult = { result: JobResult } | { resultKey: string };

/** Which worker ran the job, since when, in which delivery, and its execution log: stored with the result. */
export type RunFields = Partial<Pick<JobRecord, 'executionLog' | 'workerId' | 'startedAt' | 'attempts'>>;

export class JobsStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays = 7,
  ) {}

  private expiresAt(): number {
    return Math.floor(Date.now() / 1000) + this.ttlDays * 86_400;
  }

  /** Creates a new record; fails if the id already exists. */
  async create(job: JobRecord): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...job, expiresAt: this.expiresAt() },
        ConditionExpression: 'attribute_not_exists(jobId)',
      }),
    );
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { jobId }, ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async delete(jobId: string): Promise<void> {
    await this.dynamo.send(new DeleteCommand({ TableName: this.table, Key: { jobId } }));
  }

  /**
   * Stores the result (and where it ran) once: inline, or the S3 key of a result
   * too large for the item. Returns undefined if the job was already finished.
   */
  async complete(jobId: string, outcome: StoredResult, finishedAt: string, run: RunFields = {}): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'completed', finishedAt, { ...outcome, ...run });
  }

  /** Marks a job failed for an infrastructure reason (not the user's program). */
  async fail(jobId: string, error: JobError, finishedAt: string): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'failed', finishedAt, { error });
  }

  private async finish(
    jobId: string,
    status: 'completed' | 'failed',
    finishedAt: string,
    fields: Partial<Pick<JobRecord, 'result' | 'resultKey' | 'error'>> & RunFields,
  ): Promise<JobRecord | undefined> {
    const set = Object.entries(fields).filter(([, value]) => value !== undefined);
    return this.conditionalUpdate({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: `SET #status = :status, finishedAt = :finishedAt${set.map(([name]) => `, #${name} = :${name}`).join('')}`,
      ConditionExpression: 'attribute_exists(jobId) AND #status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(set.map(([name]) => [`#${name}`, name])) },
      ExpressionAttributeValues: {
        ':status': status,
        ':finishedAt': finishedAt,
        ':queued': 'queued',
        ':running': 'running',
        ...Object.fromEntries(set.map(([name, value]) => [`:${name}`, value])),
      },
    });
  }

  private async conditionalUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<JobRecord | undefined> {
    try {
      const out = await this.dynamo.send(new UpdateCommand({ ...input, ReturnValues: 'ALL_NEW' }));
      return out.Attributes ? toRecord(out.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

function toRecord(item: Record<string, unknown>): JobRecord {
  const { expiresAt: _ttl, ...rest } = item;
  return jobRecordSchema.parse(rest);
}
