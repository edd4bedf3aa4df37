/** The simulator on traces small enough to work out by hand. */
import { describe, expect, test } from 'vitest';
import { fixedFleet, type FleetState, type MetricSample, type ScalingPolicy } from '../../scaling/policy/policy.ts';
import { formatSeconds, percentile } from '../../scaling/simulator/report.ts';
import { DEFAULT_FLEET, simulate, type FleetConfig } from '../../scaling/simulator/simulator.ts';
import { poissonArrivals, type Trace } from '../../scaling/simulator/traces.ts';

const trace = (arrivals: number[], runSeconds: number, durationSeconds: number): Trace => ({ name: 'hand', arrivals: Float64Array.from(arrivals), runSeconds, durationSeconds });
const fleet = (overrides: Partial<FleetConfig>): FleetConfig => ({ ...DEFAULT_FLEET, overheadSeconds: 0, ...overrides });
/** A policy that asks for `desired` from its first evaluation on, recording what it was shown. */
function asksFor(desired: number, seen: { fleet: FleetState; history: MetricSample[] }[] = []): ScalingPolicy {
  return { name: `asks for ${desired}`, decide: (f, history) => (seen.push({ fleet: f, history: [...history] }), desired) };
}

describe('the simulator', () => {
  test('queues jobs first come, first served on one single-slot worker', () => {
    const result = simulate(trace([0, 0, 0], 1, 10), fixedFleet(1), fleet({ concurrency: 1 }));
    expect([...result.waits]).toEqual([0, 1, 2]);
    expect(result.peakBacklog).toBe(2);
    // One instance for the 10 s of the trace.
    expect(result.instanceMinutes).toBeCloseTo(10 / 60, 10);
  });

  test('runs `concurrency` jobs at once per instance, and adds the per-job overhead', () => {
    const result = simulate(trace([0, 0, 0, 0], 1, 10), fixedFleet(1), fleet({ concurrency: 2, overheadSeconds: 0.5 }));
    expect([...result.waits]).toEqual([0, 0, 1.5, 1.5]);
  });

  test('brings a new instance into service after the cold boot, or the warm-pool start', () => {
    // One slot busy with a 100 s job; at the first evaluation (60 s) the policy asks for a second instance.
    const run = (warmPool: boolean) => simulate(trace([0, 1], 100, 300), asksFor(2), fleet({ concurrency: 1, coldBootSeconds: 30, warmBootSeconds: 10, warmPool }));
    expect(run(false).waits[1]).toBe(60 + 30 - 1);
    expect(run(true).waits[1]).toBe(60 + 10 - 1);
  });

  test('drains an instance on scale-in and bills it until its last job ends', () => {
    const result = simulate(trace([0, 0], 100, 120), asksFor(1), fleet({ concurrency: 1, initialInstances: 2 }));
    expect([...result.waits]).toEqual([0, 0]);
    // The kept instance for all 120 s, the drained one until its job ended at 100 s.
    expect(result.instanceMinutes).toBeCloseTo(220 / 60, 10);
  });

  test('shows the policy each minute’s datapoint one period late, with the fleet as it is now', () => {
    const seen: { fleet: FleetState; history: MetricSample[] }[] = [];
    simulate(trace([0, 0, 0], 100, 180), asksFor(1, seen), fleet({ concurrency: 1 }));
    const first = { visible: 2, inService: 1, inFlight: 1, cpuPercent: 100 };
    expect(seen.map((s) => s.history)).toEqual([[], [first], [first, { visible: 1, inService: 1, inFlight: 1, cpuPercent: 100 }]]);
    expect(seen[0]!.fleet).toEqual({ desired: 1, inService: 1, pending: 0, warmingUp: 0 });
  });

  test('reports CPU as the share of job slots busy over the minute', () => {
    const seen: { fleet: FleetState; history: MetricSample[] }[] = [];
    // Two slots; one job of 30 s: 30 busy slot-seconds out of 120.
    simulate(trace([0], 30, 120), asksFor(1, seen), fleet({ concurrency: 2, metricLagPeriods: 0 }));
    expect(seen[0]!.history[0]!.cpuPercent).toBe(25);
  });
});

describe('arrival traces', () => {
  test('are reproducible from their seed and close to the asked rate', () => {
    const a = poissonArrivals(() => 50, 50, 600, 7);
    expect(poissonArrivals(() => 50, 50, 600, 7)).toEqual(a);
    expect(a.length).toBeGreaterThan(50 * 600 * 0.95);
    expect(a.length).toBeLessThan(50 * 600 * 1.05);
  });
});

describe('result summaries', () => {
  test('take percentiles by nearest rank', () => {
    const values = Float64Array.from([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect(percentile(values, 0.5)).toBe(5);
    expect(percentile(values, 0.99)).toBe(10);
    expect(percentile(new Float64Array(), 0.5)).toBe(0);
  });

  test('print waits in the unit that reads best', () => {
    expect([0.0123, 4.56, 300].map(formatSeconds)).toEqual(['12 ms', '4.6 s', '5.0 min']);
  });
});
