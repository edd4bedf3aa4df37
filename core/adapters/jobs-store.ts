/**
 * Durable job records in DynamoDB. State changes are conditional writes, so a
 * job is completed exactly once however many times SQS delivers it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jobRecordSchema, type ExecutionLog, type JobError, type JobRecord, type JobResult } from '../contract.ts';

/** A finished job's result as the record holds it: inline, or where it is in S3. */
export type StoredResult = { result: JobResult } | { resultKey: string };

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
   * Marks a job running for this delivery. Returns undefined when the job has
   * already finished (a redelivery after completion) or does not exist.
   */
  async markRunning(jobId: string, workerId: string, startedAt: string): Promise<JobRecord | undefined> {
    return this.conditionalUpdate({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: 'SET #status = :running, startedAt = :startedAt, workerId = :workerId ADD attempts :one',
      ConditionExpression: 'attribute_exists(jobId) AND #status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':queued': 'queued',
        ':startedAt': startedAt,
        ':workerId': workerId,
        ':one': 1,
      },
    });
  }

  /**
   * Stores the result (and where it ran) once: inline, or the S3 key of a result
   * too large for the item. Returns undefined if the job was already finished.
   */
  async complete(jobId: string, outcome: StoredResult, finishedAt: string, executionLog?: ExecutionLog): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'completed', finishedAt, { ...outcome, ...(executionLog ? { executionLog } : {}) });
  }

  /** Marks a job failed for an infrastructure reason (not the user's program). */
  async fail(jobId: string, error: JobError, finishedAt: string): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'failed', finishedAt, { error });
  }

  private async finish(
    jobId: string,
    status: 'completed' | 'failed',
    finishedAt: string,
    fields: Partial<Pick<JobRecord, 'result' | 'resultKey' | 'error' | 'executionLog'>>,
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
