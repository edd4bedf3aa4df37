/** The target tracking model's arithmetic, against cases worked out by hand. */
import { describe, expect, test } from 'vitest';
import { combinedPolicies, type FleetState, type MetricSample, type ScalingPolicy } from '../../scaling/policy/policy.ts';
import { backlogPerInstance, CPU_TARGET_TRACKING, DEFAULT_TARGET_TRACKING, targetTrackingDesired } from '../../scaling/policy/target-tracking.ts';

const config = DEFAULT_TARGET_TRACKING; // target 5, min 1, max 10, out after 3, in after 15 below 4.5
const fleet = (desired: number, extra: Partial<FleetState> = {}): FleetState => ({ desired, inService: desired, pending: 0, warmingUp: 0, ...extra });
const samples = (inService: number, ...visible: number[]): MetricSample[] => visible.map((v) => ({ visible: v, inService, inFlight: 0 }));

describe('BacklogPerInstance', () => {
  test('divides visible messages by in-service instances', () => {
    expect(backlogPerInstance({ visible: 100, inService: 4, inFlight: 7 })).toBe(25);
  });

  test('counts the whole backlog as one instance’s when none is in service', () => {
    expect(backlogPerInstance({ visible: 20, inService: 0, inFlight: 0 })).toBe(20);
  });

});

describe('target tracking scale-out', () => {
  test('waits for three datapoints above the target', () => {
    expect(targetTrackingDesired(config, fleet(2), samples(2, 40, 40))).toBe(2);
  });

  test('sizes the group for the target: 2 instances at 8 messages each need ceil(2 × 8 / 5) = 4', () => {
    expect(targetTrackingDesired(config, fleet(2), samples(2, 12, 14, 16))).toBe(4);
  });

  test('does not fire when one of the last three datapoints is exactly at the target', () => {
    expect(targetTrackingDesired(config, fleet(2), samples(2, 20, 10, 20))).toBe(2);
  });

  test('stops at the group’s maximum: 2 instances at 50 messages each would want 20', () => {
    expect(targetTrackingDesired(config, fleet(2), samples(2, 60, 70, 100))).toBe(10);
  });

  test('scales out from no instance in service: 12 waiting messages want ceil(12 / 5) = 3', () => {
    expect(targetTrackingDesired(config, fleet(0), samples(0, 12, 12, 12))).toBe(3);
  });

  test('counts launching instances as capacity already added', () => {
    // 2 in service + 3 launching; the metric asks for ceil(2 × 8 / 5) = 4 < 5: keep 5, add none.
    expect(targetTrackingDesired(config, fleet(5, { inService: 2, pending: 3 }), samples(2, 12, 14, 16))).toBe(5);
  });
});

describe('target tracking scale-in', () => {
  const quiet = (inService: number, visible: number) => samples(inService, ...Array<number>(15).fill(visible));

  test('after 15 datapoints below 90 % of the target, shrinks to ceil(4 × 2 / 5) = 2', () => {
    expect(targetTrackingDesired(config, fleet(4), quiet(4, 8))).toBe(2);
  });

  test('needs all 15: one datapoint at 4.6 messages per instance (above 4.5) keeps the group', () => {
    const history = quiet(4, 8);
    history[7] = { visible: 18.4, inService: 4, inFlight: 0 };
    expect(targetTrackingDesired(config, fleet(4), history)).toBe(4);
  });

  test('waits while an instance warms up or launches', () => {
    expect(targetTrackingDesired(config, fleet(4, { warmingUp: 1 }), quiet(4, 8))).toBe(4);
    expect(targetTrackingDesired(config, fleet(5, { inService: 4, pending: 1 }), quiet(4, 8))).toBe(5);
  });

  test('never goes below the minimum, even with an empty queue', () => {
    expect(targetTrackingDesired(config, fleet(6), quiet(6, 0))).toBe(1);
  });

  test('keeps a desired capacity outside the limits within them, with no history at all', () => {
    expect(targetTrackingDesired(config, fleet(0), [])).toBe(1);
    expect(targetTrackingDesired(config, fleet(12), [])).toBe(10);
  });
});

describe('CPU target tracking (70 %)', () => {
  const cpu = (inService: number, ...percents: number[]): MetricSample[] => percents.map((cpuPercent) => ({ visible: 0, inService, inFlight: 0, cpuPercent }));

  test('sizes the group for 70 %: 4 instances at 90 % need ceil(4 × 90 / 70) = 6', () => {
    expect(targetTrackingDesired(CPU_TARGET_TRACKING, fleet(4), cpu(4, 80, 85, 90))).toBe(6);
  });

  test('scales in to ceil(6 × 30 / 70) = 3 after 15 periods under 63 %', () => {
    expect(targetTrackingDesired(CPU_TARGET_TRACKING, fleet(6), cpu(6, ...Array<number>(15).fill(30)))).toBe(3);
  });

  test('does nothing without CPU datapoints', () => {
    expect(targetTrackingDesired(CPU_TARGET_TRACKING, fleet(4), samples(4, ...Array<number>(15).fill(0)))).toBe(4);
  });
});

describe('policies combined on one group', () => {
  const wants = (n: number): ScalingPolicy => ({ name: `wants ${n}`, decide: () => n });

  test('scale out as far as any policy asks', () => {
    expect(combinedPolicies('both', [wants(3), wants(7)]).decide(fleet(4), [])).toBe(7);
  });

  test('scale in only when every policy asks to, and only as far as the most cautious', () => {
    expect(combinedPolicies('both', [wants(1), wants(2)]).decide(fleet(4), [])).toBe(2);
    expect(combinedPolicies('both', [wants(1), wants(4)]).decide(fleet(4), [])).toBe(4);
  });
});
