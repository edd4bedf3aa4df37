/**
 * The worker agent: starts the warm pools, the heartbeat, the metrics server,
 * the auto-tuner and the SQS consumer, and takes them down in order on
 * shutdown. It builds none of them: worker/wiring.ts makes every adapter from
 * the config and hands them over as one `AgentDeps`, so the agent can run
 * with stand-ins (tests/unit/worker-agent.test.ts).
 */
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { RuntimeVersions } from '../core/adapters/runtime-versions.ts';
import type { WorkerRegistry } from '../core/adapters/worker-registry.ts';
import type { IsolationTier } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import { Heartbeat } from './heartbeat.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { WarmPool } from './sandbox-host/warm-pool.ts';
import type { SqsConsumer } from './sqs-consumer.ts';
import type { AutoTuner, MachineSample } from './tuning/auto-tuner.ts';

const VERSION = process.env.npm_package_version ?? '0.1.0';

/** A warm pool as the agent drives it. */
export type AgentPool = Pick<WarmPool, 'start' | 'close' | 'size' | 'setTargetSize'>;
/** The queue consumer as the agent drives it. */
export type AgentConsumer = Pick<SqsConsumer, 'start' | 'close' | 'busy' | 'concurrency' | 'setConcurrency'>;

export interface AgentDeps {
  workerId: string;
  /** The sandbox image whose runtime versions the agent publishes. */
  sandboxImage: string;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Port of GET /metrics; 0 picks a free one. */
  metricsPort: number;
  /** The warm pools by tier. The job executor reads this same object, so a tier added at start serves at once. */
  pools: Partial<Record<IsolationTier, AgentPool>>;
  /** Pools that only some hosts can have (gVisor where dockerd has runsc), made at start. */
  optionalPools: () => Promise<Partial<Record<IsolationTier, AgentPool>>>;
  /** Reads each language's version from the sandbox image, once the pools are up. */
  readRuntimeVersions: () => Promise<Record<string, string>>;
  /** The toolchain images' languages: read in the background once jobs flow, published when read. */
  readToolchainVersions?: () => Promise<Record<string, string>>;
  runtimeVersions: Pick<RuntimeVersions, 'publish'>;
  registry: Pick<WorkerRegistry, 'announce' | 'withdraw'>;
  heartbeat: { intervalMs: number; ttlSeconds: number };
  consumer: AgentConsumer;
  /** When the last job finished (for the status), null before the first. */
  lastJobAt: () => string | null;
  /**
   * Present when AUTOTUNE is on: the tuner, how often it decides, and what makes the host sampler it
   * decides from (made when tuning starts: the first sample measures from then).
   */
  tuning?: { tuner: AutoTuner; tickMs: number; machineSampler: () => () => MachineSample };
  /** The toolchain images' pools, made on demand (worker/sandbox-host/toolchain-pools.ts). */
  toolchainPools?: { close(): Promise<void>; sizes(): Record<string, AgentPool['size']> };
  /** Closes what the wiring opened (the Redis connection), after everything else has stopped. */
  /** Last: waits for what is still sending (callbacks), then closes the clients. */
  disconnect: () => void | Promise<void>;
}

export class WorkerAgent {
  readonly pools: Partial<Record<IsolationTier, AgentPool>>;
  readonly consumer: AgentConsumer;
  readonly metrics: WorkerMetrics;
  readonly tuner?: AutoTuner;
  private readonly heartbeat: Heartbeat;
  private readonly logger: Logger;
  private readonly startedAt = new Date().toISOString();
  private stopping?: Promise<void>;
  private metricsServer?: Server;
  private tuneTimer?: NodeJS.Timeout;
  /** The background read of the toolchain images' versions (it leases containers: stop waits for it). */
  private toolchainVersions?: Promise<void>;

  constructor(private readonly deps: AgentDeps) {
    this.pools = deps.pools;
    this.consumer = deps.consumer;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    if (deps.tuning) this.tuner = deps.tuning.tuner;
    this.metrics.sampleWith((m) => this.sampleGauges(m));
    this.heartbeat = new Heartbeat(deps.registry, () => this.status(), deps.heartbeat.intervalMs, deps.heartbeat.ttlSeconds);
  }

  /** Applies the auto-tuner's decisions to the runc pool and the consumer, and logs each change. */
  private startTuning({ tuner, tickMs, machineSampler }: NonNullable<AgentDeps['tuning']>): void {
    const sampleMachine = machineSampler();
    this.tuneTimer = setInterval(() => {
      const decision = tuner.tick(Date.now(), sampleMachine());
      if (decision.poolChanged) {
        // The tuner sizes the pool from demand (containers busy and idle both count), so an idle agent keeps few.
        this.pools.standard?.setTargetSize(decision.poolTarget);
        this.metrics.tunerDecisions.inc({ setting: 'pool_target' });
      }
      if (decision.concurrencyChanged) {
        this.consumer.setConcurrency(decision.concurrency);
        this.metrics.tunerDecisions.inc({ setting: 'concurrency' });
      }
      if (decision.poolChanged || decision.concurrencyChanged) {
        this.logger.info({ poolTarget: decision.poolTarget, concurrency: decision.concurrency, reason: decision.reason, inputs: decision.inputs }, 'auto-tuner decision');
      }
    }, tickMs);
    this.tuneTimer.unref();
  }

  /** What the heartbeat announces and GET /workers lists. */
  status() {
    return {
      workerId: this.deps.workerId,
      version: VERSION,
      host: hostname(),
      startedAt: this.startedAt,
      capacity: this.consumer.concurrency,
      busy: this.consumer.busy,
      // Per tier, then the toolchain images' pools that are open (`standard/jvm`).
      pools: { ...Object.fromEntries(Object.entries(this.pools).map(([tier, pool]) => [tier, pool.size])), ...this.deps.toolchainPools?.sizes() },
      lastJobAt: this.deps.lastJobAt(),
    };
  }

  private sampleGauges(metrics: WorkerMetrics): void {
    metrics.busySlots.set(this.consumer.busy);
    metrics.concurrency.set(this.consumer.concurrency);
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
    Object.assign(this.pools, await this.deps.optionalPools());
    await Promise.all(Object.values(this.pools).map((pool) => pool.start()));
    const versions = await this.deps.readRuntimeVersions();
    await this.deps.runtimeVersions.publish(this.deps.sandboxImage, versions);
    this.metricsServer = await this.metrics.serve(this.deps.metricsPort);
    if (this.deps.tuning) this.startTuning(this.deps.tuning);
    this.heartbeat.start();
    this.consumer.start();
    this.logger.info({ workerId: this.deps.workerId, concurrency: this.consumer.concurrency, tiers: Object.keys(this.pools), versions, metricsPort: this.metricsPort }, 'worker ready');
    this.toolchainVersions = this.deps.readToolchainVersions?.()
      .then((more) => this.deps.runtimeVersions.publish(this.deps.sandboxImage, more))
      .catch((err: unknown) => this.logger.warn({ err }, 'could not read the toolchain images\' versions'));
  }

  /** Drains in-flight jobs, then removes the pool's containers. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({ inFlight: this.consumer.busy }, 'draining');
      clearInterval(this.tuneTimer);
      await this.consumer.close();
      await this.heartbeat.stop(this.deps.workerId);
      await this.toolchainVersions;
      await Promise.all([...Object.values(this.pools).map((pool) => pool.close()), this.deps.toolchainPools?.close()]);
      await new Promise((resolve) => (this.metricsServer ? this.metricsServer.close(resolve) : resolve(undefined)));
      await this.deps.disconnect();
      this.logger.info('worker stopped');
    })();
    return this.stopping;
  }
}
