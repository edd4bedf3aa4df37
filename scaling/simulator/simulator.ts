/**
 * Replays an arrival trace through a FIFO queue and a fleet of workers that a
 * scaling policy sizes once a minute, as the Auto Scaling group would:
 *
 * - a worker runs `concurrency` jobs at once; each job takes its run time
 *   plus a per-job overhead (receive, state writes, result, delete);
 * - a new instance is billed from launch and takes jobs only after booting
 *   (cold bootstrap, or a start from the warm pool), then warms up;
 * - each minute the policy sees the CloudWatch datapoints delivered so far
 *   (one period late by default) and sets the desired capacity; scale-in
 *   cancels launching instances first, then drains the least busy ones
 *   (billed until their last job ends, like the drain lifecycle hook).
 *
 * Event-driven, so waits of micro-tasks are exact to the millisecond.
 */
import { MinHeap } from './min-heap.ts';
import type { FleetState, MetricSample, ScalingPolicy } from '../policy/policy.ts';
import type { Trace } from './traces.ts';

export interface FleetConfig {
  /** Jobs one instance runs at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Seconds each job costs besides the program itself. */
  overheadSeconds: number;
  /** Launch to in service for a fresh instance (packages, bundle, sandbox image). */
  coldBootSeconds: number;
  /** Start of a stopped warm-pool instance to in service. */
  warmBootSeconds: number;
  warmPool: boolean;
  /** Instance warm-up after entering service (DefaultInstanceWarmup). */
  warmupSeconds: number;
  initialInstances: number;
  /** How many periods late CloudWatch datapoints reach the policy. */
  metricLagPeriods: number;
  periodSeconds: number;
  /** Spacing of the recorded timeline (for plots). */
  timelineStepSeconds: number;
}

export const DEFAULT_FLEET: FleetConfig = {
  concurrency: 2,
  overheadSeconds: 0.04,
  coldBootSeconds: 240,
  warmBootSeconds: 40,
  warmPool: false,
  warmupSeconds: 60,
  initialInstances: 1,
  metricLagPeriods: 1,
  periodSeconds: 60,
  timelineStepSeconds: 15,
};

export interface TimelinePoint {
  t: number;
  backlog: number;
  /** Billed instances that are not draining: in service plus launching. */
  instances: number;
}

export interface SimulationResult {
  trace: string;
  policy: string;
  jobs: number;
  instanceMinutes: number;
  /** Seconds each job waited in the queue before a worker took it, in arrival order. */
  waits: Float64Array;
  peakBacklog: number;
  peakInstances: number;
  timeline: TimelinePoint[];
}

type InstanceState = 'pending' | 'inService' | 'draining';
interface Instance {
  state: InstanceState;
  readyAt: number;
  inServiceAt: number;
  busy: number;
}

export function simulate(trace: Trace, policy: ScalingPolicy, fleet: FleetConfig = DEFAULT_FLEET): SimulationResult {
  const { arrivals } = trace;
  const jobCount = arrivals.length;
  const serviceSeconds = trace.runSeconds + fleet.overheadSeconds;
  const waits = new Float64Array(jobCount);
  const completions = new MinHeap();
  const byId: Instance[] = [];
  let live: number[] = [];
  const history: MetricSample[] = [];
  const timeline: TimelinePoint[] = [];
  let arrived = 0;
  let started = 0;
  let finished = 0;
  let now = 0;
  let billedSeconds = 0;
  let peakBacklog = 0;
  let peakInstances = 0;
  // Busy and available job-slot seconds of in-service instances this period (the CPU proxy).
  let busySlotSeconds = 0;
  let slotSeconds = 0;
  let nextTick = fleet.periodSeconds;
  let nextSample = 0;

  const launch = (state: InstanceState, readyAt: number) => {
    byId.push({ state, readyAt, inServiceAt: state === 'inService' ? -Infinity : Infinity, busy: 0 });
    live.push(byId.length - 1);
  };
  const count = (state: InstanceState) => live.reduce((n, id) => n + (byId[id]!.state === state ? 1 : 0), 0);
  const retire = (id: number) => {
    live = live.filter((other) => other !== id);
  };
  const dispatch = () => {
    for (const id of live) {
      const instance = byId[id]!;
      if (instance.state !== 'inService') continue;
      while (started < arrived && instance.busy < fleet.concurrency) {
        instance.busy++;
        waits[started] = now - arrivals[started]!;
        started++;
        completions.push(now + serviceSeconds, id);
      }
      if (started === arrived) return;
    }
  };
  const nextReadyAt = () => live.reduce((t, id) => (byId[id]!.state === 'pending' ? Math.min(t, byId[id]!.readyAt) : t), Infinity);

  const applyDesired = (desired: number) => {
    const current = count('pending') + count('inService');
    for (let i = current; i < desired; i++) launch('pending', now + (fleet.warmPool ? fleet.warmBootSeconds : fleet.coldBootSeconds));
    let excess = current - desired;
    // Launching instances go first (newest first); then the least busy in service.
    for (const id of [...live].reverse()) {
      if (excess > 0 && byId[id]!.state === 'pending') {
        retire(id);
        excess--;
      }
    }
    while (excess > 0) {
      const candidates = live.filter((id) => byId[id]!.state === 'inService').sort((a, b) => byId[a]!.busy - byId[b]!.busy);
      const id = candidates[0]!;
      if (byId[id]!.busy === 0) retire(id);
      else byId[id]!.state = 'draining';
      excess--;
    }
  };

  const evaluatePolicy = () => {
    const inService = count('inService');
    const cpuPercent = slotSeconds > 0 ? (100 * busySlotSeconds) / slotSeconds : undefined;
    history.push({ visible: arrived - started, inService, inFlight: started - finished, ...(cpuPercent === undefined ? {} : { cpuPercent }) });
    busySlotSeconds = 0;
    slotSeconds = 0;
    const delivered = history.slice(0, Math.max(0, history.length - fleet.metricLagPeriods));
    const state: FleetState = {
      desired: inService + count('pending'),
      inService,
      pending: count('pending'),
      warmingUp: live.filter((id) => byId[id]!.state === 'inService' && now - byId[id]!.inServiceAt < fleet.warmupSeconds).length,
    };
    applyDesired(policy.decide(state, delivered));
  };

  for (let i = 0; i < fleet.initialInstances; i++) launch('inService', 0);
  const horizon = trace.durationSeconds;
  while (finished < jobCount || now < horizon) {
    const tDone = completions.peekTime();
    const tReady = nextReadyAt();
    const tArrival = arrived < jobCount ? arrivals[arrived]! : Infinity;
    const tTick = nextTick <= horizon ? nextTick : Infinity;
    const tSample = nextSample <= horizon ? nextSample : Infinity;
    // Billing runs to the end of the trace even when the last job ended earlier.
    const tEnd = now < horizon ? horizon : Infinity;
    const t = Math.min(tDone, tReady, tArrival, tTick, tSample, tEnd);
    if (t === Infinity) break;
    billedSeconds += (t - now) * live.length;
    for (const id of live) {
      const instance = byId[id]!;
      if (instance.state !== 'inService') continue;
      busySlotSeconds += instance.busy * (t - now);
      slotSeconds += fleet.concurrency * (t - now);
    }
    now = t;
    if (t === tDone) {
      const id = completions.pop();
      const instance = byId[id]!;
      instance.busy--;
      finished++;
      if (instance.state === 'draining' && instance.busy === 0) retire(id);
      dispatch();
    } else if (t === tReady) {
      for (const id of live) {
        const instance = byId[id]!;
        if (instance.state === 'pending' && instance.readyAt <= now) Object.assign(instance, { state: 'inService', inServiceAt: now });
      }
      dispatch();
    } else if (t === tArrival) {
      arrived++;
      dispatch();
      peakBacklog = Math.max(peakBacklog, arrived - started);
    } else if (t === tTick) {
      evaluatePolicy();
      dispatch();
      peakInstances = Math.max(peakInstances, count('pending') + count('inService'));
      nextTick += fleet.periodSeconds;
    } else if (t === tSample) {
      const instances = count('pending') + count('inService');
      peakInstances = Math.max(peakInstances, instances);
      timeline.push({ t: now, backlog: arrived - started, instances });
      nextSample += fleet.timelineStepSeconds;
    }
  }

  return {
    trace: trace.name,
    policy: policy.name,
    jobs: jobCount,
    instanceMinutes: billedSeconds / 60,
    waits,
    peakBacklog,
    peakInstances,
    timeline,
  };
}
