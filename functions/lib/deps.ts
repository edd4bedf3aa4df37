/**
 * Clients shared by the control-plane handlers, created once per Lambda
 * execution environment (first use) and reused by every invocation.
 */
import { z } from 'zod';
import { createAwsClients } from '../../core/adapters/aws-clients.ts';
import { CodeStore } from '../../core/adapters/code-store.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { JobQueue } from '../../core/adapters/job-queue.ts';
import { JobsStore } from '../../core/adapters/jobs-store.ts';
import { createRedis } from '../../core/adapters/redis.ts';
import { baseEnvSchema, parseEnv } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { ApiKeys } from './api-keys.ts';

export const controlPlaneEnvSchema = baseEnvSchema.extend({
  RUNPLANE_API_KEYS: z.string().min(1),
});

export const logger = createLogger('runplane-api');

function build() {
  const config = parseEnv(controlPlaneEnvSchema);
  const aws = createAwsClients(config);
  const redis = createRedis(config.REDIS_URL, 'runplane-api');
  return {
    config,
    redis,
    apiKeys: new ApiKeys(config.RUNPLANE_API_KEYS),
    code: new CodeStore(aws.s3, config.CODE_BUCKET),
    jobs: new JobsStore(aws.dynamo, config.JOBS_TABLE, config.JOB_RECORD_TTL_DAYS),
    hot: new HotState(redis, config.HOT_STATE_TTL_SECONDS),
    queue: new JobQueue(aws.sqs, config.JOBS_QUEUE_URL),
    logger,
  };
}

let deps: ReturnType<typeof build> | undefined;

export function controlPlane() {
  deps ??= build();
  return deps;
}
