/** The step scaling model (queue length) against hand-worked cases. */
import { describe, expect, test } from 'vitest';
import type { FleetState, MetricSample } from '../../scaling/policy/policy.ts';
import { DEFAULT_STEP_SCALING, stepScalingDesired } from '../../scaling/policy/step-scaling.ts';

// Scale out when visible > 10: +1 for 10..109 over it, +2 for 110..1009 over, +4 beyond; −1 after 5 empty minutes.
const config = DEFAULT_STEP_SCALING;
const fleet = (desired: number, extra: Partial<FleetState> = {}): FleetState => ({ desired, inService: desired, pending: 0, warmingUp: 0, ...extra });
const visible = (...values: number[]): MetricSample[] => values.map((v) => ({ visible: v, inService: 1, inFlight: 0 }));

describe('step scaling', () => {
  test('adds the step for how far the queue is above the threshold', () => {
    expect(stepScalingDesired(config, fleet(2), visible(50))).toBe(3);
    expect(stepScalingDesired(config, fleet(2), visible(500))).toBe(4);
    expect(stepScalingDesired(config, fleet(2), visible(5000))).toBe(6);
  });

  test('does nothing at the threshold itself', () => {
    expect(stepScalingDesired(config, fleet(2), visible(10))).toBe(2);
  });

  test('counts instances still launching or warming up against the same step', () => {
    expect(stepScalingDesired(config, fleet(4, { inService: 2, pending: 2 }), visible(500))).toBe(4);
    // A higher step adds only the difference: +4 wanted, 2 already coming.
    expect(stepScalingDesired(config, fleet(4, { inService: 3, pending: 1, warmingUp: 1 }), visible(5000))).toBe(6);
  });

  test('removes one instance after five empty minutes, not after four', () => {
    expect(stepScalingDesired(config, fleet(3), visible(0, 0, 0, 0, 0))).toBe(2);
    expect(stepScalingDesired(config, fleet(3), visible(7, 0, 0, 0, 0))).toBe(3);
  });

  test('stays within the group’s limits', () => {
    expect(stepScalingDesired(config, fleet(9), visible(5000))).toBe(10);
    expect(stepScalingDesired(config, fleet(1), visible(0, 0, 0, 0, 0))).toBe(1);
  });
});
