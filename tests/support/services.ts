/**
 * Per-test-file access to the shared services: real clients, plus a queue,
 * table and bucket with a name unique to the file so files never interfere.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createAwsClients, type AwsClients } from '../../core/adapters/aws-clients.ts';
import { CodeStore } from '../../core/adapters/code-store.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { JobQueue } from '../../core/adapters/job-queue.ts';
import { JobsStore } from '../../core/adapters/jobs-store.ts';
import { ResultStore } from '../../core/adapters/result-store.ts';
import { createRedis } from '../../core/adapters/redis.ts';
import { createLogger } from '../../core/logger.ts';
import { provision, type ProvisionedResources } from '../../local/provision.ts';

export interface TestServices {
  aws: AwsClients;
  redis: ReturnType<typeof createRedis>;
  resources: ProvisionedResources;
  code: CodeStore;
  jobs: JobsStore;
  results: ResultStore;
  hot: HotState;
  queue: JobQueue;
  logger: ReturnType<typeof createLogger>;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function testServices(options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<TestServices> {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const endpoints = {
    region: 'us-east-1',
    sqsEndpoint: inject('sqsEndpoint'),
    s3Endpoint: inject('s3Endpoint'),
    dynamodbEndpoint: inject('dynamodbEndpoint'),
  };
  const resources = await provision(endpoints, { jobsTable: `${prefix}-jobs`, codeBucket: `${prefix}-code`, jobsQueue: `${prefix}-jobs` }, options);
  const aws = createAwsClients({ AWS_REGION: 'us-east-1', SQS_ENDPOINT: endpoints.sqsEndpoint, S3_ENDPOINT: endpoints.s3Endpoint, DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint });
  const redis = createRedis(inject('redisUrl'), `test-${prefix}`);
  const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    REDIS_URL: inject('redisUrl'),
    SQS_ENDPOINT: endpoints.sqsEndpoint,
    S3_ENDPOINT: endpoints.s3Endpoint,
    DYNAMODB_ENDPOINT: endpoints.dynamodbEndpoint,
    JOBS_TABLE: resources.jobsTable,
    CODE_BUCKET: resources.codeBucket,
    JOBS_QUEUE_URL: resources.jobsQueueUrl,
    JOBS_DLQ_URL: resources.jobsDlqUrl,
    SANDBOX_IMAGE: inject('sandboxImage'),
    // Several agents run at once in tests: each takes a free port for /metrics.
    METRICS_PORT: '0',
  };
  return {
    aws,
    redis,
    resources,
    code: new CodeStore(aws.s3, resources.codeBucket),
    jobs: new JobsStore(aws.dynamo, resources.jobsTable),
    results: new ResultStore(aws.s3, resources.codeBucket),
    hot: new HotState(redis, 600),
    queue: new JobQueue(aws.sqs, resources.jobsQueueUrl),
    logger,
    env,
    async close() {
      redis.disconnect();
      aws.sqs.destroy();
      aws.s3.destroy();
      aws.dynamo.destroy();
    },
  };
}
