/**
 * Step scaling on queue length (ApproximateNumberOfMessagesVisible), the
 * classic alternative the design compares against, as AWS documents it:
 *
 * - A scale-out alarm (visible above a threshold for N datapoints) adds the
 *   step adjustment for how far the metric is above the threshold, every
 *   period the alarm stays in breach.
 * - Instances launching or warming up count as already added: a breach in
 *   the same step adds nothing more, a breach in a higher step adds only the
 *   difference.
 * - A scale-in alarm (visible at most a low threshold for N datapoints)
 *   removes a fixed number of instances per period.
 */
import { clampCapacity, type CapacityLimits, type FleetState, type MetricSample, type ScalingPolicy } from './policy.ts';

export interface StepAdjustment {
  /** Applies when visible − threshold ≥ this (steps sorted by it, ascending). */
  lowerBound: number;
  /** Instances added. */
  add: number;
}

export interface StepScalingConfig extends CapacityLimits {
  scaleOutThreshold: number;
  scaleOutPeriods: number;
  steps: StepAdjustment[];
  scaleInThreshold: number;
  scaleInPeriods: number;
  scaleInRemove: number;
}

/** A typical queue-length policy: +1/+2/+4 instances for 10/110/1,010 waiting jobs; −1 after 5 idle minutes. */
export const DEFAULT_STEP_SCALING: StepScalingConfig = {
  minCapacity: 1,
  maxCapacity: 10,
  scaleOutThreshold: 10,
  scaleOutPeriods: 1,
  steps: [
    { lowerBound: 0, add: 1 },
    { lowerBound: 100, add: 2 },
    { lowerBound: 1000, add: 4 },
  ],
  scaleInThreshold: 0,
  scaleInPeriods: 5,
  scaleInRemove: 1,
};

function stepFor(config: StepScalingConfig, visible: number): number {
  const excess = visible - config.scaleOutThreshold;
  let add = 0;
  for (const step of config.steps) if (excess >= step.lowerBound) add = step.add;
  return add;
}

export function stepScalingDesired(config: StepScalingConfig, fleet: FleetState, history: readonly MetricSample[]): number {
  const current = clampCapacity(fleet.desired, config);
  const recentOut = history.slice(-config.scaleOutPeriods);
  if (recentOut.length === config.scaleOutPeriods && recentOut.every((s) => s.visible > config.scaleOutThreshold)) {
    const add = stepFor(config, history.at(-1)!.visible);
    const alreadyComing = fleet.pending + fleet.warmingUp;
    return clampCapacity(current + Math.max(0, add - alreadyComing), config);
  }
  const recentIn = history.slice(-config.scaleInPeriods);
  if (recentIn.length === config.scaleInPeriods && recentIn.every((s) => s.visible <= config.scaleInThreshold)) {
    return clampCapacity(current - config.scaleInRemove, config);
  }
  return current;
}

export function stepScaling(config: StepScalingConfig = DEFAULT_STEP_SCALING): ScalingPolicy {
  return {
    name: 'step scaling (queue length)',
    decide: (fleet, history) => stepScalingDesired(config, fleet, history),
  };
}
