/**
 * The worker agent: wires the warm pool, the sandbox runner and the SQS
 * consumer together, and takes them down in order on shutdown.
 */
import Docker from 'dockerode';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AiGateway } from './ai/gateway.ts';
import { Heartbeat } from './heartbeat.ts';
import { WorkerMetrics } from './metrics.ts';
import { AutoTuner, type AutoTunerOptions } from './tuning/auto-tuner.ts';
import { machineSampler } from './tuning/machine.ts';
import type { JobObservation } from './process-job.ts';
import type { Redis } from 'ioredis';
import { AdmissionControl } from '../core/adapters/admission.ts';
import { createAwsClients } from '../core/adapters/aws-clients.ts';
import { CodeStore } from '../core/adapters/code-store.ts';
import { ResultStore } from '../core/adapters/result-store.ts';
import { HotState } from '../core/adapters/hot-state.ts';
import { JobsStore } from '../core/adapters/jobs-store.ts';
import { createRedis } from '../core/adapters/redis.ts';
import { RuntimeVersions } from '../core/adapters/runtime-versions.ts';
import { WorkerRegistry } from '../core/adapters/worker-registry.ts';
import type { IsolationTier } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { SandboxSpec } from './sandbox/container-spec.ts';
import { poolSize, type WorkerConfig } from './config.ts';
import { processDelivery } from './process-job.ts';
import { poolExecutor } from './sandbox/executor.ts';
import { readRuntimeVersions } from './sandbox/versions.ts';
import { WarmPool } from './sandbox/warm-pool.ts';
import { SqsConsumer } from './sqs-consumer.ts';

const VERSION = process.env.npm_package_version ?? '0.1.0';

export class WorkerAgent {
  readonly pools: Partial<Record<IsolationTier, WarmPool>> = {};
  readonly consumer: SqsConsumer;
  private readonly redis: Redis;
  private readonly docker: Docker;
  private readonly gvisorSpec: SandboxSpec;
  private stopping?: Promise<void>;
  readonly metrics = new WorkerMetrics((m) => this.sampleGauges(m));
  private readonly heartbeat: Heartbeat;
  private metricsServer?: Server;
  private lastJobAt: string | null = null;
  readonly tuner?: AutoTuner;
  private tuneTimer?: NodeJS.Timeout;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly config: WorkerConfig,
    private readonly logger: Logger,
    docker: Docker = new Docker(),
    /** Tests shorten the tuner's windows and cooldowns. */
    tunerOverrides: Partial<AutoTunerOptions> = {},
  ) {
    const aws = createAwsClients(config);
    this.redis = createRedis(config.REDIS_URL, `runplane-worker:${config.WORKER_ID}`);
    const admission = new AdmissionControl(this.redis);
    this.docker = docker;
    const spec = {
      image: config.SANDBOX_IMAGE,
      workerId: config.WORKER_ID,
      runtime: 'runc' as const,
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
        }, (outcome) => this.metrics.aiRequests.inc({ outcome }))
      : undefined;
    const poolOptions = { maxJobsPerContainer: config.POOL_MAX_JOBS_PER_CONTAINER, ...(gateway ? { openAiSocket: (name: string) => gateway.open(name) } : {}) };
    this.pools.standard = new WarmPool(docker, spec, poolSize(config), logger.child({ component: 'pool', isolation: 'standard' }), poolOptions);
    this.gvisorSpec = { ...spec, runtime: 'runsc' };
    const deps = {
      workerId: config.WORKER_ID,
      jobs: new JobsStore(aws.dynamo, config.JOBS_TABLE, config.JOB_RECORD_TTL_DAYS),
      hot: new HotState(this.redis, config.HOT_STATE_TTL_SECONDS),
      code: new CodeStore(aws.s3, config.CODE_BUCKET),
      results: new ResultStore(aws.s3, config.CODE_BUCKET),
      execute: poolExecutor(this.pools, (isolation, poolHit, startMs) => {
        this.metrics.acquisitions.inc({ isolation, result: poolHit ? 'hit' : 'miss' });
        if (!poolHit) this.metrics.containerStart.observe({ isolation }, startMs / 1000);
      }),
      maxReceiveCount: config.MAX_RECEIVE_COUNT,
      release: (tenantId: string, jobId: string) => admission.release(tenantId, jobId),
      observe: (o: JobObservation) => {
        this.lastJobAt = new Date().toISOString();
        if (o.poolHit !== undefined) {
          this.tuner?.record({
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
        this.metrics.jobs.inc({ language: o.language, verdict: o.outcome });
        this.metrics.phases.observe({ phase: 'queue_wait' }, o.queueWaitMs / 1000);
        // What the job waited for a container: nothing on a pool hit, the start on a miss.
        if (o.poolHit !== undefined) this.metrics.phases.observe({ phase: 'start' }, o.poolHit ? 0 : (o.containerStartMs ?? 0) / 1000);
        this.metrics.phases.observe({ phase: 'run' }, o.runMs / 1000);
        this.metrics.phases.observe({ phase: 'total' }, o.totalMs / 1000);
      },
      logger,
    };
    this.consumer = new SqsConsumer({
      sqs: aws.sqs,
      queueUrl: config.JOBS_QUEUE_URL,
      deadLetterQueueUrl: config.JOBS_DLQ_URL,
      concurrency: config.WORKER_CONCURRENCY,
      waitSeconds: config.SQS_WAIT_SECONDS,
      visibilityTimeoutSeconds: config.VISIBILITY_TIMEOUT_SECONDS,
      process: (delivery) => processDelivery(delivery, deps),
      onReceive: (ms) => this.metrics.sqsReceive.observe(ms / 1000),
      logger: logger.child({ component: 'consumer' }),
    });
    if (config.AUTOTUNE) {
      this.tuner = new AutoTuner({
        minPool: config.AUTOTUNE_POOL_MIN,
        maxPool: config.AUTOTUNE_POOL_MAX,
        initialPoolTarget: Math.min(Math.max(poolSize(config), config.AUTOTUNE_POOL_MIN), config.AUTOTUNE_POOL_MAX),
        minConcurrency: 1,
        maxConcurrency: config.AUTOTUNE_CONCURRENCY_MAX,
        initialConcurrency: Math.min(config.WORKER_CONCURRENCY, config.AUTOTUNE_CONCURRENCY_MAX),
        shortRateWindowMs: config.AUTOTUNE_SHORT_WINDOW_MS,
        longRateWindowMs: Math.max(config.AUTOTUNE_LONG_WINDOW_MS, config.AUTOTUNE_SHORT_WINDOW_MS),
        poolScaleDownCooldownMs: config.AUTOTUNE_SHRINK_COOLDOWN_MS,
        ...tunerOverrides,
      });
    }
    this.heartbeat = new Heartbeat(new WorkerRegistry(this.redis), () => this.status(), config.HEARTBEAT_INTERVAL_SECONDS * 1000, config.HEARTBEAT_TTL_SECONDS);
  }

  /** Applies the auto-tuner's decisions to the runc pool and the consumer, and logs each change. */
  private startTuning(tuner: AutoTuner): void {
    const sample = machineSampler();
    this.tuneTimer = setInterval(() => {
      const decision = tuner.tick(Date.now(), sample());
      if (decision.concurrencyChanged) {
        this.consumer.setConcurrency(decision.concurrency);
        this.metrics.tunerDecisions.inc({ setting: 'concurrency' });
      }
      if (decision.poolChanged || decision.concurrencyChanged) {
        // Containers serve job after job: the pool never holds fewer than the jobs that may run at once.
        this.pools.standard?.setTargetSize(Math.max(decision.poolTarget, this.consumer.concurrency));
        if (decision.poolChanged) this.metrics.tunerDecisions.inc({ setting: 'pool_target' });
      }
      if (decision.poolChanged || decision.concurrencyChanged) {
        this.logger.info({ poolTarget: decision.poolTarget, concurrency: decision.concurrency, reason: decision.reason, inputs: decision.inputs }, 'auto-tuner decision');
      }
    }, this.config.AUTOTUNE_TICK_MS);
    this.tuneTimer.unref();
  }

  /** What the heartbeat announces and GET /workers lists. */
  status() {
    return {
      workerId: this.config.WORKER_ID,
      version: VERSION,
      host: hostname(),
      startedAt: this.startedAt,
      capacity: this.consumer.concurrency,
      busy: this.consumer.busy,
      pools: Object.fromEntries(Object.entries(this.pools).map(([tier, pool]) => [tier, pool.size])),
      lastJobAt: this.lastJobAt,
    };
  }

  private sampleGauges(metrics: WorkerMetrics): void {
    metrics.busySlots.set(this.consumer?.busy ?? 0);
    metrics.concurrency.set(this.consumer?.concurrency ?? 0);
    for (const [tier, pool] of Object.entries(this.pools)) {
      metrics.poolReady.set({ isolation: tier }, pool.size.ready);
      metrics.poolTarget.set({ isolation: tier }, pool.size.target);
    }
  }

  /** The port GET /metrics listens on (after start). */
  get metricsPort(): number | undefined {
    const address = this.metricsServer?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  async start(): Promise<void> {
    // The gVisor tier exists only where dockerd has runsc registered (scripts/setup.sh does it).
    const info = (await this.docker.info()) as { Runtimes?: Record<string, unknown> };
    if (info.Runtimes?.runsc) {
      this.pools.gvisor = new WarmPool(this.docker, this.gvisorSpec, this.config.GVISOR_POOL_SIZE, this.logger.child({ component: 'pool', isolation: 'gvisor' }), { maxJobsPerContainer: this.config.POOL_MAX_JOBS_PER_CONTAINER });
    }
    await Promise.all(Object.values(this.pools).map((pool) => pool.start()));
    const versions = await readRuntimeVersions(this.pools.standard!);
    await new RuntimeVersions(this.redis).publish(this.config.SANDBOX_IMAGE, versions);
    this.metricsServer = await this.metrics.serve(this.config.METRICS_PORT);
    if (this.tuner) this.startTuning(this.tuner);
    this.heartbeat.start();
    this.consumer.start();
    this.logger.info({ workerId: this.config.WORKER_ID, concurrency: this.consumer.concurrency, tiers: Object.keys(this.pools), versions, metricsPort: this.metricsPort }, 'worker ready');
  }

  /** Drains in-flight jobs, then removes the pool's containers. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({ inFlight: this.consumer.busy }, 'draining');
      clearInterval(this.tuneTimer);
      await this.consumer.close();
      await this.heartbeat.stop(this.config.WORKER_ID);
      await Promise.all(Object.values(this.pools).map((pool) => pool.close()));
      await new Promise((resolve) => (this.metricsServer ? this.metricsServer.close(resolve) : resolve(undefined)));
      this.redis.disconnect();
      this.logger.info('worker stopped');
    })();
    return this.stopping;
  }
}
