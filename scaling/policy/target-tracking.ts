/**
 * Target tracking on BacklogPerInstance, as AWS documents target tracking:
 *
 * - The metric is the policy's metric math: visible messages divided by
 *   in-service instances (by one when none is in service); or, for the CPU
 *   policy docs/scaling.md recommends beside it, ASGAverageCPUUtilization.
 * - Scale out fast: when the last 3 one-minute datapoints are all above the
 *   target, capacity becomes ceil(inService × metric / target), i.e. enough
 *   instances for `target` messages each. Instances still launching or warming
 *   up count as capacity already added, so the policy never adds them twice.
 * - Scale in conservatively: only after 15 datapoints in a row below 90 % of
 *   the target, never while an instance is launching or warming up, and only
 *   down to what the same formula gives.
 * - Always within the group's min and max.
 */
import { clampCapacity, type CapacityLimits, type FleetState, type MetricSample, type ScalingPolicy } from './policy.ts';

export interface TargetTrackingConfig extends CapacityLimits {
  /** Messages per in-service instance the policy steers towards. */
  target: number;
  /** Consecutive datapoints above the target before scaling out (AWS: 3). */
  scaleOutPeriods: number;
  /** Consecutive datapoints below scaleInRatio × target before scaling in (AWS: 15). */
  scaleInPeriods: number;
  scaleInRatio: number;
  metric: TrackedMetric;
}

export type TrackedMetric = 'backlogPerInstance' | 'cpuUtilization';

/** The values in infra/scaling.yml and serverless.yml's defaults. */
export const DEFAULT_TARGET_TRACKING: TargetTrackingConfig = {
  target: 5,
  minCapacity: 1,
  maxCapacity: 10,
  scaleOutPeriods: 3,
  scaleInPeriods: 15,
  scaleInRatio: 0.9,
  metric: 'backlogPerInstance',
};

/** ASGAverageCPUUtilization at 70 %: holds capacity while instances are busy, whatever the queue shows. */
export const CPU_TARGET_TRACKING: TargetTrackingConfig = { ...DEFAULT_TARGET_TRACKING, metric: 'cpuUtilization', target: 70 };

/** The metric math of infra/scaling.yml: IF(inService > 0, visible / inService, visible). */
export function backlogPerInstance(sample: MetricSample): number {
  return sample.inService > 0 ? sample.visible / sample.inService : sample.visible;
}

/** The tracked metric's datapoint; NaN when there is none (a missing datapoint breaches nothing). */
function metricValue(config: TargetTrackingConfig, sample: MetricSample): number {
  return config.metric === 'backlogPerInstance' ? backlogPerInstance(sample) : (sample.cpuPercent ?? Number.NaN);
}

/** Capacity that would bring the latest metric to the target. */
function proportionalCapacity(config: TargetTrackingConfig, latest: MetricSample): number {
  return Math.ceil((Math.max(latest.inService, 1) * metricValue(config, latest)) / config.target);
}

function lastPeriodsAll(config: TargetTrackingConfig, history: readonly MetricSample[], periods: number, test: (metric: number) => boolean): boolean {
  if (history.length < periods) return false;
  return history.slice(-periods).every((sample) => test(metricValue(config, sample)));
}

export function targetTrackingDesired(config: TargetTrackingConfig, fleet: FleetState, history: readonly MetricSample[]): number {
  const current = clampCapacity(fleet.desired, config);
  const latest = history.at(-1);
  if (!latest) return current;
  if (lastPeriodsAll(config, history, config.scaleOutPeriods, (m) => m > config.target)) {
    return clampCapacity(Math.max(current, proportionalCapacity(config, latest)), config);
  }
  const settled = fleet.pending === 0 && fleet.warmingUp === 0;
  if (settled && lastPeriodsAll(config, history, config.scaleInPeriods, (m) => m < config.target * config.scaleInRatio)) {
    return clampCapacity(Math.min(current, proportionalCapacity(config, latest)), config);
  }
  return current;
}

export function targetTracking(config: TargetTrackingConfig = DEFAULT_TARGET_TRACKING): ScalingPolicy {
  return {
    name: config.metric === 'backlogPerInstance' ? `target tracking (backlog/instance ${config.target})` : `target tracking (CPU ${config.target} %)`,
    decide: (fleet, history) => targetTrackingDesired(config, fleet, history),
  };
}
