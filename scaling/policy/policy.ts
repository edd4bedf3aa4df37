/**
 * What a worker scaling policy sees and decides. The real policies run inside
 * AWS (infra/scaling.yml); these models decide the same way from the same
 * inputs, so the simulator and the local autoscaler can use them.
 */

/** One CloudWatch period (a minute) of the two metrics the policies read. */
export interface MetricSample {
  /** ApproximateNumberOfMessagesVisible: jobs waiting, not yet received by a worker. */
  visible: number;
  /** GroupInServiceInstances: instances past their launch hook, taking jobs. */
  inService: number;
  /** ApproximateNumberOfMessagesNotVisible: jobs received by a worker and still running. */
  inFlight: number;
  /**
   * Average CPU utilization of the in-service instances over the period, 0–100
   * (ASGAverageCPUUtilization). The simulator takes busy job slots as the CPU
   * a job uses, as for CPU-bound programs; absent where nothing measures it.
   */
  cpuPercent?: number;
}

/** The group as the policy finds it. */
export interface FleetState {
  /** Desired capacity: instances in service plus those still launching. */
  desired: number;
  inService: number;
  /** Launching, not yet in service (booting, or leaving the warm pool). */
  pending: number;
  /** In service for less than the instance warm-up time. */
  warmingUp: number;
}

export interface CapacityLimits {
  minCapacity: number;
  maxCapacity: number;
}

export interface ScalingPolicy {
  readonly name: string;
  /** The desired capacity after this period, given the metric history (oldest first, newest last). */
  decide(fleet: FleetState, history: readonly MetricSample[]): number;
}

export function clampCapacity(capacity: number, limits: CapacityLimits): number {
  return Math.min(limits.maxCapacity, Math.max(limits.minCapacity, capacity));
}

/**
 * Several policies on one group, as EC2 Auto Scaling combines them: scale out
 * as far as any policy asks; scale in only when every policy asks to, and
 * then only as far as the most cautious of them.
 */
export function combinedPolicies(name: string, policies: ScalingPolicy[]): ScalingPolicy {
  return {
    name,
    decide(fleet, history) {
      const proposals = policies.map((p) => p.decide(fleet, history));
      const larger = proposals.filter((p) => p > fleet.desired);
      if (larger.length > 0) return Math.max(...larger);
      if (proposals.every((p) => p < fleet.desired)) return Math.max(...proposals);
      return fleet.desired;
    },
  };
}

/** The baseline: a fleet that never changes size. */
export function fixedFleet(instances: number): ScalingPolicy {
  return { name: `fixed fleet of ${instances}`, decide: () => instances };
}
