/**
 * Durable job records in DynamoDB. State changes are conditional writes, so a
 * job is completed exactly once however many times SQS delivers it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jobRecordSchema, type ExecutionLog, type JobError, type JobRecord, type JobResult } from '../contract.ts';

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

  /** Stores the result (and where it ran) once. Returns undefined if the job was already finished. */
  async complete(jobId: string, result: JobResult, finishedAt: string, executionLog?: ExecutionLog): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'completed', finishedAt, { result, ...(executionLog ? { executionLog } : {}) });
  }

  /** Marks a job failed for an infrastructure reason (not the user's program). */
  async fail(jobId: string, error: JobError, finishedAt: string): Promise<JobRecord | undefined> {
    return this.finish(jobId, 'failed', finishedAt, { error });
  }

  private async finish(
    jobId: string,
    status: 'completed' | 'failed',
    finishedAt: string,
    fields: { result?: JobResult; error?: JobError; executionLog?: ExecutionLog },
  ): Promise<JobRecord | undefined> {
    const [name, value] = fields.result ? ['result', fields.result] : ['error', fields.error];
    const log = fields.executionLog ? ', executionLog = :log' : '';
    return this.conditionalUpdate({
      TableName: this.table,
      Key: { jobId },
      UpdateExpression: `SET #status = :status, finishedAt = :finishedAt, #field = :value${log}`,
      ConditionExpression: 'attribute_exists(jobId) AND #status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status', '#field': name as string },
      ExpressionAttributeValues: {
        ':status': status,
        ':finishedAt': finishedAt,
        ':value': value,
        ':queued': 'queued',
        ':running': 'running',
        ...(fields.executionLog ? { ':log': fields.executionLog } : {}),
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
