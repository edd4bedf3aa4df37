/**
 * The scenarios docs/scaling.md reports: micro-tasks (10 ms) and long jobs
 * (10 s) under steady, bursty and diurnal arrivals, plus sustained surges of
 * micro-tasks; each with fresh instances and with a warm pool; each under
 * target tracking, step scaling and a fixed fleet sized for the peak.
 */
import { clampCapacity, combinedPolicies, fixedFleet, type ScalingPolicy } from '../policy/policy.ts';
import { DEFAULT_FLEET, simulate, type FleetConfig, type SimulationResult } from './simulator.ts';
import { DEFAULT_STEP_SCALING, stepScaling } from '../policy/step-scaling.ts';
import { CPU_TARGET_TRACKING, DEFAULT_TARGET_TRACKING, targetTracking } from '../policy/target-tracking.ts';
import { burstyTrace, diurnalTrace, steadyTrace, type Trace } from './traces.ts';

export interface Scenario {
  id: string;
  description: string;
  trace: () => Trace;
  /** Jobs per second at the start and at the peak, to size the starting and the fixed fleet. */
  startRate: number;
  peakRate: number;
}

/** What docs/scaling.md recommends: the backlog policy plus CPU target tracking, which holds capacity while it is busy. */
export const BACKLOG_AND_CPU = combinedPolicies('target tracking: backlog/instance 5 + CPU 70 %', [targetTracking(DEFAULT_TARGET_TRACKING), targetTracking(CPU_TARGET_TRACKING)]);

const MICRO = 0.01;
const LONG = 10;

export const SCENARIOS: Scenario[] = [
  { id: 'micro-steady', description: '10 ms jobs, 100/s for 1 h', trace: () => steadyTrace(100, MICRO), startRate: 100, peakRate: 100 },
  {
    id: 'micro-bursty',
    description: '10 ms jobs, 10/s with a burst of 3,000 in 15 s every 10 min, 2 h',
    trace: () => burstyTrace({ baseRate: 10, peakRate: 200 }, MICRO, 15, 600),
    startRate: 10,
    peakRate: 200,
  },
  {
    id: 'micro-surge',
    description: '10 ms jobs, 10/s with a 10-min surge to 200/s every hour, 3 h',
    trace: () => burstyTrace({ baseRate: 10, peakRate: 200 }, MICRO, 600, 3600, 10_800),
    startRate: 10,
    peakRate: 200,
  },
  {
    id: 'micro-diurnal',
    description: '10 ms jobs, 5/s at night to 120/s at noon, 24 h',
    trace: () => diurnalTrace({ baseRate: 5, peakRate: 120 }, MICRO),
    startRate: 5,
    peakRate: 120,
  },
  { id: 'long-steady', description: '10 s jobs, 0.5/s for 1 h', trace: () => steadyTrace(0.5, LONG), startRate: 0.5, peakRate: 0.5 },
  {
    id: 'long-bursty',
    description: '10 s jobs, 0.05/s with a burst of 150 in 30 s every 15 min, 2 h',
    trace: () => burstyTrace({ baseRate: 0.05, peakRate: 5 }, LONG, 30, 900),
    startRate: 0.05,
    peakRate: 5,
  },
  {
    id: 'long-diurnal',
    description: '10 s jobs, 0.05/s at night to 1.5/s at noon, 24 h',
    trace: () => diurnalTrace({ baseRate: 0.05, peakRate: 1.5 }, LONG),
    startRate: 0.05,
    peakRate: 1.5,
  },
];

/** Instances needed to keep up with `rate` jobs/s, within the group's limits. */
export function instancesFor(rate: number, runSeconds: number, fleet: FleetConfig = DEFAULT_FLEET): number {
  return clampCapacity(Math.ceil((rate * (runSeconds + fleet.overheadSeconds)) / fleet.concurrency), DEFAULT_TARGET_TRACKING);
}

export interface ScenarioRun {
  scenario: Scenario;
  /** 'new instances', 'warm pool' or '—' (a fixed fleet never boots). */
  boot: string;
  result: SimulationResult;
}

export function runScenario(scenario: Scenario): ScenarioRun[] {
  const trace = scenario.trace();
  const start = instancesFor(scenario.startRate, trace.runSeconds);
  const timelineStepSeconds = trace.durationSeconds > 4 * 3600 ? 120 : 15;
  const run = (policy: ScalingPolicy, boot: string, overrides: Partial<FleetConfig>): ScenarioRun => ({
    scenario,
    boot,
    result: simulate(trace, policy, { ...DEFAULT_FLEET, initialInstances: start, timelineStepSeconds, ...overrides }),
  });
  const peak = instancesFor(scenario.peakRate, trace.runSeconds);
  return [
    run(targetTracking(DEFAULT_TARGET_TRACKING), 'new instances', { warmPool: false }),
    run(targetTracking(DEFAULT_TARGET_TRACKING), 'warm pool', { warmPool: true }),
    run(BACKLOG_AND_CPU, 'warm pool', { warmPool: true }),
    run(stepScaling(DEFAULT_STEP_SCALING), 'new instances', { warmPool: false }),
    run(stepScaling(DEFAULT_STEP_SCALING), 'warm pool', { warmPool: true }),
    run(fixedFleet(peak), '—', { initialInstances: peak }),
  ];
}
