/**
 * Arrival traces for the simulator: when each job arrives and how long it
 * runs. Deterministic (a seeded generator), so the docs' numbers reproduce.
 */

export interface Trace {
  name: string;
  /** Arrival times in seconds from the start, ascending. */
  arrivals: Float64Array;
  /** Run time of every job, seconds (the sandbox run, without overhead). */
  runSeconds: number;
  /** Length of the trace in seconds (arrivals stop before it). */
  durationSeconds: number;
}

/** mulberry32: a small, fast, seedable generator; quality is ample for arrival processes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A Poisson process whose rate (jobs/s) may change over time, by thinning:
 * draw at the peak rate and keep each arrival with probability rate(t)/peak.
 */
export function poissonArrivals(rate: (t: number) => number, peakRate: number, durationSeconds: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const times: number[] = [];
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random()) / peakRate;
    if (t >= durationSeconds) break;
    if (random() * peakRate < rate(t)) times.push(t);
  }
  return Float64Array.from(times);
}

export interface TraceShape {
  /** Jobs per second between bursts (steady and bursty), or at the trough (diurnal). */
  baseRate: number;
  /** Jobs per second during a burst (bursty) or at the daily peak (diurnal). */
  peakRate: number;
}

export function steadyTrace(rate: number, runSeconds: number, durationSeconds = 3600, seed = 1): Trace {
  return { name: 'steady', arrivals: poissonArrivals(() => rate, rate, durationSeconds, seed), runSeconds, durationSeconds };
}

/** A low background rate with a burst of `burstSeconds` at `peakRate` every `everySeconds`. */
export function burstyTrace(shape: TraceShape, runSeconds: number, burstSeconds = 30, everySeconds = 900, durationSeconds = 7200, seed = 2): Trace {
  const rate = (t: number) => (t % everySeconds >= everySeconds - burstSeconds ? shape.peakRate : shape.baseRate);
  return { name: 'bursty', arrivals: poissonArrivals(rate, shape.peakRate, durationSeconds, seed), runSeconds, durationSeconds };
}

/** A day: trough at midnight, peak at noon, a smooth cosine between. */
export function diurnalTrace(shape: TraceShape, runSeconds: number, durationSeconds = 86_400, seed = 3): Trace {
  const rate = (t: number) => shape.baseRate + ((shape.peakRate - shape.baseRate) * (1 - Math.cos((2 * Math.PI * t) / 86_400))) / 2;
  return { name: 'diurnal', arrivals: poissonArrivals(rate, shape.peakRate, durationSeconds, seed), runSeconds, durationSeconds };
}
