/**
 * The worker scaling policy applied to the local stack: every period it reads
 * the local queue's depth, asks the same policy the Auto Scaling group runs
 * (scaling/policy/target-tracking.ts by default) for a desired number of agents, and
 * starts or stops agent processes to match. Agents count as in service once
 * started (a local agent starts in seconds) and warm up for `warmupMs`.
 *
 * The caller supplies the process controls and the queue reading, so this
 * class knows nothing of child processes or SQS:
 *
 *   const scaler = new LocalAutoscaler({ readQueue, startAgent, stopAgent, periodMs: 10_000 });
 *   await scaler.start();   // starts the minimum, then evaluates every period
 *   await scaler.stop();    // stops the timer and every agent it started
 */
import type { MetricSample, ScalingPolicy } from '../scaling/policy/policy.ts';
import { DEFAULT_TARGET_TRACKING, targetTracking } from '../scaling/policy/target-tracking.ts';

export interface QueueDepth {
  /** Messages waiting (SQS ApproximateNumberOfMessages). */
  visible: number;
  /** Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
}

export interface LocalAutoscalerOptions<Agent> {
  readQueue: () => Promise<QueueDepth>;
  startAgent: () => Promise<Agent>;
  /** Stops one agent gracefully (SIGTERM: it drains its jobs) and resolves once it is gone. */
  stopAgent: (agent: Agent) => Promise<void>;
  /** Default: target tracking with the stack's target, between minAgents and maxAgents. */
  policy?: ScalingPolicy;
  /** Started by start(); the default policy never goes below it. Default 1. */
  minAgents?: number;
  /** The default policy's maximum. Default 4. */
  maxAgents?: number;
  /** Evaluation period; CloudWatch's is a minute, a local demo may want seconds. */
  periodMs?: number;
  warmupMs?: number;
  /** Datapoints kept for the policy (it needs at most 15). */
  historyLength?: number;
  now?: () => number;
  log?: (message: string) => void;
}

interface RunningAgent<Agent> {
  agent: Agent;
  startedAt: number;
}

export class LocalAutoscaler<Agent> {
  private readonly agents: RunningAgent<Agent>[] = [];
  private readonly history: MetricSample[] = [];
  private readonly policy: ScalingPolicy;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LocalAutoscalerOptions<Agent>) {
    this.policy = options.policy ?? targetTracking({ ...DEFAULT_TARGET_TRACKING, minCapacity: options.minAgents ?? 1, maxCapacity: options.maxAgents ?? 4 });
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  /** Agents running now. */
  get size(): number {
    return this.agents.length;
  }

  /** Starts the minimum number of agents, then evaluates the policy every period. */
  async start(): Promise<void> {
    await this.resize(this.options.minAgents ?? 1);
    const schedule = () => {
      this.timer = setTimeout(() => {
        this.ticking = this.tick().finally(() => {
          this.ticking = undefined;
          if (!this.stopped) schedule();
        });
      }, this.options.periodMs ?? 60_000);
    };
    schedule();
  }

  /** One evaluation: read the queue, ask the policy, start or stop agents. Errors leave the fleet as it is. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    let depth: QueueDepth;
    try {
      depth = await this.options.readQueue();
    } catch (error) {
      this.log(`autoscaler: cannot read the queue (${(error as Error).message}); keeping ${this.size} agent(s)`);
      return;
    }
    this.history.push({ visible: depth.visible, inService: this.size, inFlight: depth.inFlight });
    this.history.splice(0, Math.max(0, this.history.length - (this.options.historyLength ?? 30)));
    const warmupMs = this.options.warmupMs ?? 30_000;
    const fleet = {
      desired: this.size,
      inService: this.size,
      pending: 0,
      warmingUp: this.agents.filter((a) => this.now() - a.startedAt < warmupMs).length,
    };
    const desired = this.policy.decide(fleet, this.history);
    if (desired !== this.size) {
      this.log(`autoscaler: ${depth.visible} waiting, ${depth.inFlight} running on ${this.size} agent(s) → ${desired}`);
      await this.resize(desired);
    }
  }

  /** Stops evaluating and stops every agent (waits for a tick in progress first). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.resize(0);
  }

  private async resize(desired: number): Promise<void> {
    while (!this.stopped && this.agents.length < desired) {
      const agent = await this.options.startAgent();
      this.agents.push({ agent, startedAt: this.now() });
    }
    // The newest leave: the longest-running agents keep their warm containers.
    const leaving = this.agents.splice(desired);
    await Promise.all(leaving.map((a) => this.options.stopAgent(a.agent)));
  }
}
