/**
 * The control plane's config (one zod schema, parsed when a handler module is
 * loaded, so a bad variable fails the cold start naming it; secrets read from
 * Secrets Manager and SSM at the same moment) and the clients
 * and adapters every handler shares, built once per Lambda execution
 * environment and reused by every invocation: AWS clients, one Redis command
 * connection (connected on first use) and, for waiting requests, one Redis
 * subscriber connection (opened on first wait).
 */
import { z } from 'zod';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { ApiKeysStore } from '../../core/adapters/api-keys-store.ts';
import { createAwsClients } from '../../core/adapters/aws-clients.ts';
import { CodeStore } from '../../core/adapters/code-store.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { IdempotencyKeys } from '../../core/adapters/idempotency.ts';
import { JobQueue } from '../../core/adapters/job-queue.ts';
import { JobSideData } from '../../core/adapters/job-side-data.ts';
import { JobsStore } from '../../core/adapters/jobs-store.ts';
import { QueueDepth } from '../../core/adapters/queue-depth.ts';
import { ResultStore } from '../../core/adapters/result-store.ts';
import { RuntimeVersions } from '../../core/adapters/runtime-versions.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import { JobIO } from '../../core/adapters/job-io.ts';
import { WorkerRegistry } from '../../core/adapters/worker-registry.ts';
import { createRequestRedis } from '../../core/adapters/redis.ts';
import { baseEnvSchema, emptyAsUndefined, optionalUrl, parseEnv } from '../../core/config.ts';
import { serviceUnavailable } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import { ApiKeys } from './api-keys.ts';
import { Authenticator } from './authenticator.ts';
import { JobWaiter } from './job-waiter.ts';
import { withSecrets } from './secrets.ts';

export const controlPlaneEnvSchema = baseEnvSchema.extend({
  /** Static bootstrap keys (`tenant:key,…`); the API keys table is the normal place. */
  RUNPLANE_API_KEYS: z.string().default(''),
  API_KEYS_TABLE: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** How long a key lookup is cached per environment: a revoked key works at most this long. */
  KEY_CACHE_SECONDS: z.coerce.number().min(0).max(3600).default(10),
  /** Visible queue backlog above which submissions get 503 (0: no limit). */
  MAX_QUEUE_BACKLOG: z.coerce.number().int().min(0).default(10_000),
  /** Endpoint of the WebSocket API's @connections (locally serverless-offline's). */
  WS_MANAGEMENT_ENDPOINT: optionalUrl,
  /** In AWS: the Secrets Manager secret holding the Redis user's password (REDIS_URL carries none). */
  REDIS_SECRET_ID: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
  /** In AWS: an SSM SecureString parameter holding bootstrap keys, in place of RUNPLANE_API_KEYS. */
  API_KEYS_PARAMETER: z.preprocess(emptyAsUndefined, z.string().min(1).optional()),
});

export const logger = createLogger('runplane-api');

/** Everything the handlers use, from the parsed config. */
export function buildControlPlane(config: z.infer<typeof controlPlaneEnvSchema>) {
  const aws = createAwsClients(config);
  const { redis, connected } = createRequestRedis(config.REDIS_URL, 'runplane-api');
  const hot = new HotState(redis, config.HOT_STATE_TTL_SECONDS);
  const results = new ResultStore(aws.s3, config.CODE_BUCKET);
  const jobs = new JobsStore(aws.dynamo, config.JOBS_TABLE, config.JOB_RECORD_TTL_DAYS);
  const staticKeys = new ApiKeys(config.RUNPLANE_API_KEYS);
  const keyStore = config.API_KEYS_TABLE ? new ApiKeysStore(aws.dynamo, config.API_KEYS_TABLE) : undefined;
  return {
    config,
    aws,
    /** Resolves once Redis is connected; 503 when it cannot be (fail closed). */
    redisReady: () => connected().catch(() => Promise.reject(serviceUnavailable('state store is unavailable; retry shortly', 1))),
    authenticator: new Authenticator(keyStore, config.KEY_CACHE_SECONDS * 1000, staticKeys.size > 0 ? staticKeys : undefined),
    code: new CodeStore(aws.s3, config.CODE_BUCKET),
    jobs,
    hot,
    queue: new JobQueue(aws.sqs, config.JOBS_QUEUE_URL),
    admission: new AdmissionControl(redis),
    idempotency: new IdempotencyKeys(redis),
    subscriptions: new Subscriptions(redis),
    io: new JobIO(redis),
    workers: new WorkerRegistry(redis),
    runtimeVersions: new RuntimeVersions(redis),
    backlog: { depth: new QueueDepth(aws.sqs, config.JOBS_QUEUE_URL), maxBacklog: config.MAX_QUEUE_BACKLOG },
    results,
    /** What the Judge0 API keeps beside each submission (functions/compat/judge0). */
    judge0Settings: new JobSideData(redis, 'judge0', config.JOB_RECORD_TTL_DAYS * 86_400),
    waiter: new JobWaiter({
      connect: async () => {
        const subscriber = redis.duplicate({ connectionName: 'runplane-api-subscriber', enableOfflineQueue: true, lazyConnect: false });
        subscriber.on('error', () => undefined);
        return subscriber;
      },
      hot,
      jobs,
      results,
    }),
    logger,
  };
}

export type ControlPlane = ReturnType<typeof buildControlPlane>;

// Secrets are read here, once per execution environment, before the first request (functions/lib/secrets.ts).
export const controlPlane: ControlPlane = buildControlPlane(await withSecrets(parseEnv(controlPlaneEnvSchema)));

/** Authenticates against the keys table (and static keys), after making sure Redis answers. */
export async function authenticate(key: string | undefined) {
  await controlPlane.redisReady();
  return controlPlane.authenticator.authenticate(key);
}
