/**
 * The one place that builds a worker agent from its config: the Redis and AWS
 * clients, the adapters, the warm pools, the AI gateway, the job processor,
 * the SQS consumer, the metrics and the auto-tuner. worker/main.ts and the
 * tests that run a real agent call `buildWorkerAgent`; nothing else
 * constructs these.
 */
import Docker from 'dockerode';
import { join } from 'node:path';
import { AdmissionControl } from '../core/adapters/admission.ts';
import { createAwsClients } from '../core/adapters/aws-clients.ts';
import { CodeStore } from '../core/adapters/code-store.ts';
import { HotState } from '../core/adapters/hot-state.ts';
import { JobsStore } from '../core/adapters/jobs-store.ts';
import { JobIO } from '../core/adapters/job-io.ts';
import { createRedis } from '../core/adapters/redis.ts';
import { ResultStore } from '../core/adapters/result-store.ts';
import { RuntimeVersions } from '../core/adapters/runtime-versions.ts';
import { WorkerRegistry } from '../core/adapters/worker-registry.ts';
import type { IsolationTier } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import { JobSideData } from '../core/adapters/job-side-data.ts';
import { allowedCidrs } from '../core/callback-target.ts';
import { SubmissionSettingsStore } from '../functions/compat/judge0/settings-store.ts';
import { WorkerAgent } from './agent.ts';
import { CallbackDispatcher } from './callbacks/dispatcher.ts';
import { AiGateway } from './ai/gateway.ts';
import { poolSize, type WorkerConfig } from './config.ts';
import { WorkerMetrics } from './metrics.ts';
import { processDelivery, type JobObservation, type ProcessDeps } from './process-job.ts';
import type { SandboxSpec } from './sandbox-host/container-spec.ts';
import { poolExecutor } from './sandbox-host/executor.ts';
import { checkoutImageBuilder } from './sandbox-host/image-builder.ts';
import { ToolchainPools } from './sandbox-host/toolchain-pools.ts';
import { readRuntimeVersions, readToolchainVersions } from './sandbox-host/versions.ts';
import { VersionsCache } from './sandbox-host/versions-cache.ts';
import { WarmPool } from './sandbox-host/warm-pool.ts';
import { SqsConsumer } from './sqs-consumer.ts';
import { AutoTuner, type AutoTunerOptions } from './tuning/auto-tuner.ts';
import { machineSampler } from './tuning/machine.ts';

export interface WiringOptions {
  docker?: Docker;
  /** Tests shorten the tuner's windows and cooldowns. */
  tunerOverrides?: Partial<AutoTunerOptions>;
}

export function buildWorkerAgent(config: WorkerConfig, logger: Logger, options: WiringOptions = {}): WorkerAgent {
  const docker = options.docker ?? new Docker();
  const aws = createAwsClients(config);
  const redis = createRedis(config.REDIS_URL, `runplane-worker:${config.WORKER_ID}`);
  const admission = new AdmissionControl(redis);
  const metrics = new WorkerMetrics();
  const tuner = config.AUTOTUNE ? buildTuner(config, options.tunerOverrides) : undefined;
  let lastJobAt: string | null = null;

  const spec: SandboxSpec = {
    image: config.SANDBOX_IMAGE,
    workerId: config.WORKER_ID,
    runtime: 'runc',
    memoryMb: config.SANDBOX_MEMORY_MB,
    pidsLimit: config.SANDBOX_PIDS_LIMIT,
    cpus: config.SANDBOX_CPUS,
    workDirMb: config.SANDBOX_WORKDIR_MB,
  };
  // AI for the runc tier (gVisor does not connect to host unix sockets by default).
  const gateway = config.AI_NODE_URL
    ? new AiGateway(config.AI_NODE_URL, join(config.AI_SOCKET_DIR, config.WORKER_ID), {
        maxRequestsPerJob: config.AI_MAX_REQUESTS_PER_JOB,
        maxTokensPerJob: config.AI_MAX_TOKENS_PER_JOB,
        maxConcurrentPerTenant: config.AI_MAX_CONCURRENT_PER_TENANT,
      }, (outcome) => metrics.aiRequests.inc({ outcome }))
    : undefined;
  const poolOptions = { maxJobsPerContainer: config.POOL_MAX_JOBS_PER_CONTAINER, ...(gateway ? { openAiSocket: (name: string) => gateway.open(name) } : {}) };
  const pools: Partial<Record<IsolationTier, WarmPool>> = {
    standard: new WarmPool(docker, spec, poolSize(config), logger.child({ component: 'pool', isolation: 'standard' }), poolOptions),
  };
  // The toolchain images' pools follow the tiers this agent has (gVisor once optionalPools added it).
  const buildImage = config.BUILD_MISSING_TOOLCHAINS ? checkoutImageBuilder(logger.child({ component: 'image-builder' })) : undefined;
  const versionsCache = new VersionsCache(docker, config.VERSIONS_CACHE_DIR);
  const toolchains = new ToolchainPools(docker, () => Object.fromEntries(Object.entries(pools).map(([tier, pool]) => [tier, pool.spec])), logger, {
    warmSize: config.TOOLCHAIN_POOL_SIZE,
    idleMs: config.TOOLCHAIN_POOL_IDLE_SECONDS * 1000,
    poolOptions: { standard: poolOptions, gvisor: { maxJobsPerContainer: config.POOL_MAX_JOBS_PER_CONTAINER } },
    ...(buildImage ? { buildImage } : {}),
  });

  const callbacks = new CallbackDispatcher({
    ...(config.CALLBACK_SIGNING_KEY ? { signingKey: config.CALLBACK_SIGNING_KEY } : {}),
    judge0Settings: new SubmissionSettingsStore(new JobSideData(redis, 'judge0', config.JOB_RECORD_TTL_DAYS * 86_400)),
    delivery: { tries: config.CALLBACK_TRIES, backoffMs: config.CALLBACK_BACKOFF_MS, timeoutMs: config.CALLBACK_TIMEOUT_MS, allowed: allowedCidrs(config.CALLBACK_ALLOWED_CIDRS) },
    logger: logger.child({ component: 'callbacks' }),
    observe: (_jobId, outcome) => metrics.callbacks.inc({ outcome: outcome.ok ? 'delivered' : 'failed' }),
  });
  const deps: ProcessDeps = {
    workerId: config.WORKER_ID,
    jobs: new JobsStore(aws.dynamo, config.JOBS_TABLE, config.JOB_RECORD_TTL_DAYS),
    hot: new HotState(redis, config.HOT_STATE_TTL_SECONDS),
    code: new CodeStore(aws.s3, config.CODE_BUCKET),
    results: new ResultStore(aws.s3, config.CODE_BUCKET),
    execute: poolExecutor(pools, (isolation, poolHit, startMs) => {
      metrics.acquisitions.inc({ isolation, result: poolHit ? 'hit' : 'miss' });
      if (!poolHit) metrics.containerStart.observe({ isolation }, startMs / 1000);
    }, toolchains),
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    onFinished: (job, message) => message.callback && callbacks.dispatch(job, message.callback),
    live: { io: new JobIO(redis), openBlocking: () => createRedis(config.REDIS_URL, `runplane-worker-stdin:${config.WORKER_ID}`) },
    release: (tenantId: string, jobId: string) => admission.release(tenantId, jobId),
    observe: (o: JobObservation) => {
      lastJobAt = new Date().toISOString();
      observeJob(o, metrics, tuner);
    },
    logger,
  };
  const consumer = new SqsConsumer({
    sqs: aws.sqs,
    queueUrl: config.JOBS_QUEUE_URL,
    deadLetterQueueUrl: config.JOBS_DLQ_URL,
    concurrency: config.WORKER_CONCURRENCY,
    waitSeconds: config.SQS_WAIT_SECONDS,
    visibilityTimeoutSeconds: config.VISIBILITY_TIMEOUT_SECONDS,
    process: (delivery) => processDelivery(delivery, deps),
    onReceive: (ms) => metrics.sqsReceive.observe(ms / 1000),
    onDeleteBatch: (messages) => metrics.sqsDeleteBatch.observe(messages),
    logger: logger.child({ component: 'consumer' }),
  });

  return new WorkerAgent({
    workerId: config.WORKER_ID,
    sandboxImage: config.SANDBOX_IMAGE,
    logger,
    metrics,
    metricsPort: config.METRICS_PORT,
    pools,
    // The gVisor tier exists only where dockerd has runsc registered (scripts/setup.sh does it).
    optionalPools: async () => {
      const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
      if (!info.Runtimes?.runsc) return {};
      const gvisorSpec: SandboxSpec = { ...spec, runtime: 'runsc' };
      return { gvisor: new WarmPool(docker, gvisorSpec, config.GVISOR_POOL_SIZE, logger.child({ component: 'pool', isolation: 'gvisor' }), { maxJobsPerContainer: config.POOL_MAX_JOBS_PER_CONTAINER }) };
    },
    readRuntimeVersions: () => readRuntimeVersions(pools.standard!, versionsCache),
    readToolchainVersions: () => readToolchainVersions(toolchains, versionsCache),
    toolchainPools: toolchains,
    runtimeVersions: new RuntimeVersions(redis),
    registry: new WorkerRegistry(redis),
    heartbeat: { intervalMs: config.HEARTBEAT_INTERVAL_SECONDS * 1000, ttlSeconds: config.HEARTBEAT_TTL_SECONDS },
    consumer,
    lastJobAt: () => lastJobAt,
    ...(tuner ? { tuning: { tuner, tickMs: config.AUTOTUNE_TICK_MS, machineSampler } } : {}),
    disconnect: async () => {
      await callbacks.close();
      redis.disconnect();
    },
  });
}

function buildTuner(config: WorkerConfig, overrides: Partial<AutoTunerOptions> = {}): AutoTuner {
  return new AutoTuner({
    minPool: config.AUTOTUNE_POOL_MIN,
    maxPool: config.AUTOTUNE_POOL_MAX,
    initialPoolTarget: Math.min(Math.max(poolSize(config), config.AUTOTUNE_POOL_MIN), config.AUTOTUNE_POOL_MAX),
    minConcurrency: 1,
    maxConcurrency: config.AUTOTUNE_CONCURRENCY_MAX,
    initialConcurrency: Math.min(config.WORKER_CONCURRENCY, config.AUTOTUNE_CONCURRENCY_MAX),
    shortRateWindowMs: config.AUTOTUNE_SHORT_WINDOW_MS,
    longRateWindowMs: Math.max(config.AUTOTUNE_LONG_WINDOW_MS, config.AUTOTUNE_SHORT_WINDOW_MS),
    poolScaleDownCooldownMs: config.AUTOTUNE_SHRINK_COOLDOWN_MS,
    ...overrides,
  });
}

/** A finished job feeds the metrics and, when on, the auto-tuner. */
function observeJob(o: JobObservation, metrics: WorkerMetrics, tuner: AutoTuner | undefined): void {
  if (o.poolHit !== undefined) {
    tuner?.record({
      at: Date.now(),
      language: o.language,
      queueWaitMs: o.queueWaitMs,
      poolHit: o.poolHit,
      containerStartMs: o.containerStartMs ?? 0,
      wallMs: o.runMs,
      cpuMs: o.cpuMs ?? 0,
      memoryKb: o.memoryKb ?? 0,
    });
  }
  metrics.jobs.inc({ language: o.language, verdict: o.outcome });
  metrics.phases.observe({ phase: 'queue_wait' }, o.queueWaitMs / 1000);
  // What the job waited for a container: nothing on a pool hit, the start on a miss.
  if (o.poolHit !== undefined) metrics.phases.observe({ phase: 'start' }, o.poolHit ? 0 : (o.containerStartMs ?? 0) / 1000);
  metrics.phases.observe({ phase: 'run' }, o.runMs / 1000);
  metrics.phases.observe({ phase: 'total' }, o.totalMs / 1000);
}
