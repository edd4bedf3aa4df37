/**
 * Creates the queue (with its dead-letter queue), table and bucket that
 * serverless.yml declares for AWS, on whatever endpoints the clients point at.
 * Idempotent: existing resources are reused.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface ResourceNames {
  jobsTable: string;
  /** Defaults to `<jobsTable>-keys`. */
  apiKeysTable?: string;
  codeBucket: string;
  jobsQueue: string;
}

export interface ProvisionedResources {
  jobsQueueUrl: string;
  jobsDlqUrl: string;
  jobsTable: string;
  apiKeysTable: string;
  codeBucket: string;
}

export interface Endpoints {
  region: string;
  sqsEndpoint: string;
  s3Endpoint: string;
  dynamodbEndpoint: string;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function provision(endpoints: Endpoints, names: ResourceNames, options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<ProvisionedResources> {
  const { region } = endpoints;
  const sqs = new SQSClient({ region, endpoint: endpoints.sqsEndpoint, credentials });
  const s3 = new S3Client({ region, endpoint: endpoints.s3Endpoint, forcePathStyle: true, credentials });
  const dynamo = new DynamoDBClient({ region, endpoint: endpoints.dynamodbEndpoint, credentials });
  try {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${names.jobsQueue}-dlq` }));
    const dlqAttrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: names.jobsQueue,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqAttrs.Attributes!.QueueArn, maxReceiveCount: String(options.maxReceiveCount ?? 3) }),
        },
      }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: names.codeBucket })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
    });
    const apiKeysTable = names.apiKeysTable ?? `${names.jobsTable}-keys`;
    await createTable(dynamo, names.jobsTable, 'jobId');
    await createTable(dynamo, apiKeysTable, 'keyHash');
    return { jobsQueueUrl: queue.QueueUrl!, jobsDlqUrl: dlq.QueueUrl!, jobsTable: names.jobsTable, apiKeysTable, codeBucket: names.codeBucket };
  } finally {
    sqs.destroy();
    s3.destroy();
    dynamo.destroy();
  }
}

async function createTable(dynamo: DynamoDBClient, table: string, hashKey: string): Promise<void> {
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitForTable(dynamo, table);
}

async function waitForTable(dynamo: DynamoDBClient, table: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
