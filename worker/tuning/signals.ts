/**
 * The smoothed signals the auto-tuner steers by. Pure and clock-free: every
 * time is an argument, so a test replays a stream and gets the same numbers.
 */

/**
 * Exponentially weighted moving average. `previous` undefined means "no sample
 * yet": the first sample is taken as is, so an estimate never starts from a
 * made-up zero.
 */
export function ewma(previous: number | undefined, sample: number, alpha: number): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}

/** Median of a non-empty list (the lower middle for an even count: no invented values). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

interface Arrival {
  at: number;
  queueWaitMs: number;
}

/**
 * Job arrivals over the last `retainMs`, for the arrival rate and the queue
 * wait. Memory is bounded by rate × retainMs (3 000 entries at 50 jobs/s over
 * 60 s); entries are pruned at every read.
 */
export class ArrivalLog {
  private arrivals: Arrival[] = [];

  constructor(private readonly retainMs: number) {}

  add(at: number, queueWaitMs: number): void {
    this.arrivals.push({ at, queueWaitMs });
  }

  /** Drops arrivals older than `retainMs` before `now`. */
  prune(now: number): void {
    const oldest = now - this.retainMs;
    if (this.arrivals.some((a) => a.at <= oldest)) this.arrivals = this.arrivals.filter((a) => a.at > oldest);
  }

  /** Jobs per second over the window (now − windowMs, now]; a job stamped in the future is not counted yet. */
  ratePerSecond(now: number, windowMs: number): number {
    return this.inWindow(now, windowMs).length / (windowMs / 1000);
  }

  /** Median queue wait of the jobs in the window; 0 when none arrived (nobody is waiting). */
  queueWaitP50Ms(now: number, windowMs: number): number {
    const waits = this.inWindow(now, windowMs).map((a) => a.queueWaitMs);
    return waits.length === 0 ? 0 : median(waits);
  }

  private inWindow(now: number, windowMs: number): Arrival[] {
    return this.arrivals.filter((a) => a.at > now - windowMs && a.at <= now);
  }
}

/**
 * Containers to keep warm so an arriving job finds one, by Little's law.
 *
 * Each job takes a pooled container and the pool starts a replacement, which
 * takes the container start latency W. The replacements in flight at any
 * moment number L = λ·W (Little's law, λ = arrival rate), so a pool of λ·W
 * would run dry about half the time. Under Poisson arrivals that count is
 * Poisson with mean λ·W and standard deviation √(λ·W); adding z of those
 * ("square-root staffing") keeps the pool non-empty most of the time at a cost
 * that grows only with the square root of the load.
 *
 * The 1e-9 guard keeps float noise (5 × 0.2 = 1.0000000000000002) from
 * adding a whole container at an exact integer.
 */
export function littlesLawPoolSize(ratePerSecond: number, startLatencyMs: number, safetyZ: number): number {
  const inFlight = ratePerSecond * (startLatencyMs / 1000);
  return Math.max(0, Math.ceil(inFlight + safetyZ * Math.sqrt(inFlight) - 1e-9));
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
