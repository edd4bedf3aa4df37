/**
 * The worker's auto-tuner: from what finished jobs report and a machine sample
 * per tick, it decides how many warm containers to keep (pool target) and how
 * many jobs to run at once (concurrency). Pure and deterministic: no clock, no
 * I/O; the caller passes `now`, applies the decision, logs it and exports its
 * inputs as metrics.
 *
 * Stability first: a tuner that flaps costs more than a slightly wrong
 * setting (each pool change creates or destroys containers, ~200 ms of engine
 * CPU each on a 2-core host). So every change passes a dead band, a
 * confirmation and a cooldown, and each signal has a gap between its "raise"
 * and "lower" thresholds (hysteresis).
 */
import { ArrivalLog, clamp, ewma, littlesLawPoolSize } from './signals.ts';

/** One finished job, as the worker saw it. */
export interface JobFeedback {
  /** When the job arrived at this worker (ms, the caller's clock). */
  at: number;
  language: string;
  queueWaitMs: number;
  poolHit: boolean;
  /** Misses: the on-demand start this job waited for. Hits: how long its pooled container took to start. */
  containerStartMs: number;
  wallMs: number;
  cpuMs: number;
  /** Peak RSS of the job. */
  memoryKb: number;
}

/** The host, sampled once per tick. */
export interface MachineSample {
  /** 0..1 over all cores. */
  cpuUtilisation: number;
  memoryAvailableMb: number;
}

export interface AutoTunerOptions {
  minPool: number;
  maxPool: number;
  initialPoolTarget: number;
  /** Standard deviations of the in-flight start count kept as margin (square-root staffing). */
  poolSafetyZ: number;
  /** Rises are measured over this window, so a burst shows within a tick or two. */
  shortRateWindowMs: number;
  /** Falls are measured over this window, so a lull does not shrink the pool at once. */
  longRateWindowMs: number;
  /** Start latency assumed before any job reported one (~180 ms of engine work here). */
  initialStartLatencyMs: number;
  startLatencyAlpha: number;
  /**
   * Hysteresis: shrink only to a pool that would still cover this much more
   * traffic (0.2: 20 %), so a rate sitting on a boundary cannot move the pool
   * up and down.
   */
  poolScaleDownRateMargin: number;
  /** A rise may follow the previous change after this long. */
  poolScaleUpCooldownMs: number;
  /** A fall may follow the previous change only after this long: a spare container costs memory, a missing one costs a job ~200 ms. */
  poolScaleDownCooldownMs: number;
  minConcurrency: number;
  maxConcurrency: number;
  initialConcurrency: number;
  /** Below this (smoothed) CPU utilisation there is room for another job. */
  lowCpu: number;
  /** Above this, one job fewer. The gap to lowCpu is the hysteresis. */
  highCpu: number;
  cpuAlpha: number;
  /** Memory always left to the host, dockerd and the pool's idle containers. */
  memoryReserveMb: number;
  /** Peak job memory assumed before any job reported one: the default memory limit. */
  initialJobMemoryMb: number;
  jobMemoryAlpha: number;
  /** Jobs are "waiting" when the median queue wait over the short window is above this. */
  queueWaitThresholdMs: number;
  concurrencyCooldownMs: number;
}

export const DEFAULT_TUNER_OPTIONS: Readonly<AutoTunerOptions> = Object.freeze({
  minPool: 1,
  maxPool: 16,
  initialPoolTarget: 2,
  poolSafetyZ: 1.5,
  shortRateWindowMs: 10_000,
  longRateWindowMs: 60_000,
  initialStartLatencyMs: 200,
  startLatencyAlpha: 0.2,
  poolScaleDownRateMargin: 0.2,
  poolScaleUpCooldownMs: 0,
  poolScaleDownCooldownMs: 30_000,
  minConcurrency: 1,
  maxConcurrency: 8,
  initialConcurrency: 2,
  lowCpu: 0.6,
  highCpu: 0.9,
  cpuAlpha: 0.5,
  memoryReserveMb: 512,
  initialJobMemoryMb: 256,
  jobMemoryAlpha: 0.2,
  queueWaitThresholdMs: 50,
  concurrencyCooldownMs: 15_000,
});

/** What led to a decision; every field is a gauge worth exporting. */
export interface TuningInputs {
  /** max(short, long): rises show fast, falls slowly. */
  arrivalRatePerSecond: number;
  shortWindowRatePerSecond: number;
  longWindowRatePerSecond: number;
  meanContainerStartMs: number;
  /** The Little's-law pool size at the measured rate: the pool grows to it when it is larger. */
  poolCandidate: number;
  /** The size at the rate plus the scale-down margin: the pool shrinks to it when it is smaller. */
  poolScaleDownCandidate: number;
  queueWaitP50Ms: number;
  meanJobMemoryMb: number;
  /** Smoothed. */
  cpuUtilisation: number;
  memoryAvailableMb: number;
}

export interface TuningDecision {
  at: number;
  poolTarget: number;
  concurrency: number;
  poolChanged: boolean;
  concurrencyChanged: boolean;
  /** One line for the log: what changed or why nothing did. */
  reason: string;
  inputs: TuningInputs;
}

export class AutoTuner {
  readonly options: Readonly<AutoTunerOptions>;
  private readonly arrivals: ArrivalLog;
  private meanStartMs: number;
  private meanJobMemoryMb: number;
  private smoothedCpu: number | undefined;
  private poolTarget: number;
  private previousCandidate: number | undefined;
  private lastPoolChangeAt: number | undefined;
  private concurrency: number;
  private lastConcurrencyChangeAt: number | undefined;

  constructor(options: Partial<AutoTunerOptions> = {}) {
    const o = { ...DEFAULT_TUNER_OPTIONS, ...options };
    if (o.minPool > o.maxPool || o.minConcurrency > o.maxConcurrency || o.lowCpu >= o.highCpu) {
      throw new RangeError('AutoTuner: need minPool ≤ maxPool, minConcurrency ≤ maxConcurrency and lowCpu < highCpu');
    }
    this.options = Object.freeze(o);
    this.arrivals = new ArrivalLog(Math.max(o.shortRateWindowMs, o.longRateWindowMs));
    this.meanStartMs = o.initialStartLatencyMs;
    this.meanJobMemoryMb = o.initialJobMemoryMb;
    this.poolTarget = clamp(o.initialPoolTarget, o.minPool, o.maxPool);
    this.concurrency = clamp(o.initialConcurrency, o.minConcurrency, o.maxConcurrency);
  }

  /** Takes one finished job into account. Non-finite or negative measurements are skipped, so one bad report cannot poison an average for good. */
  record(feedback: JobFeedback): void {
    const usable = (n: number): boolean => Number.isFinite(n) && n >= 0;
    if (!Number.isFinite(feedback.at)) return;
    this.arrivals.add(feedback.at, usable(feedback.queueWaitMs) ? feedback.queueWaitMs : 0);
    if (usable(feedback.containerStartMs)) {
      this.meanStartMs = ewma(this.meanStartMs, feedback.containerStartMs, this.options.startLatencyAlpha);
    }
    if (usable(feedback.memoryKb)) {
      this.meanJobMemoryMb = ewma(this.meanJobMemoryMb, feedback.memoryKb / 1024, this.options.jobMemoryAlpha);
    }
  }

  /** Decides pool target and concurrency at `now` (ms, same clock as `JobFeedback.at`). Call it at a fixed interval, e.g. every 5 s. */
  tick(now: number, machine: MachineSample): TuningDecision {
    const o = this.options;
    this.arrivals.prune(now);
    this.smoothedCpu = ewma(this.smoothedCpu, machine.cpuUtilisation, o.cpuAlpha);
    const shortRate = this.arrivals.ratePerSecond(now, o.shortRateWindowMs);
    const longRate = this.arrivals.ratePerSecond(now, o.longRateWindowMs);
    const rate = Math.max(shortRate, longRate);
    const inputs: TuningInputs = {
      arrivalRatePerSecond: rate,
      shortWindowRatePerSecond: shortRate,
      longWindowRatePerSecond: longRate,
      meanContainerStartMs: this.meanStartMs,
      poolCandidate: clamp(littlesLawPoolSize(rate, this.meanStartMs, o.poolSafetyZ), o.minPool, o.maxPool),
      poolScaleDownCandidate: clamp(
        littlesLawPoolSize(rate * (1 + o.poolScaleDownRateMargin), this.meanStartMs, o.poolSafetyZ),
        o.minPool,
        o.maxPool,
      ),
      queueWaitP50Ms: this.arrivals.queueWaitP50Ms(now, o.shortRateWindowMs),
      meanJobMemoryMb: this.meanJobMemoryMb,
      cpuUtilisation: this.smoothedCpu,
      memoryAvailableMb: machine.memoryAvailableMb,
    };
    const pool = this.decidePool(now, inputs);
    const concurrency = this.decideConcurrency(now, inputs);
    return {
      at: now,
      poolTarget: this.poolTarget,
      concurrency: this.concurrency,
      poolChanged: pool.changed,
      concurrencyChanged: concurrency.changed,
      reason: `${pool.reason}; ${concurrency.reason}`,
      inputs,
    };
  }

  /**
   * Three guards against flapping. Hysteresis: grow to the Little's-law size,
   * but shrink only to the size for 20 % more traffic, so between the two the
   * pool holds. Dead band and confirmation: a move of one container must be
   * asked for on two ticks in a row; a larger move is real demand and goes
   * through at once. Cooldowns are asymmetric: up at once, down only 30 s
   * after the last change.
   */
  private decidePool(now: number, inputs: TuningInputs): { changed: boolean; reason: string } {
    const o = this.options;
    const from = this.poolTarget;
    const candidate =
      inputs.poolCandidate > from ? inputs.poolCandidate : inputs.poolScaleDownCandidate < from ? inputs.poolScaleDownCandidate : from;
    const confirmed = Math.abs(candidate - from) > 1 || candidate === this.previousCandidate;
    this.previousCandidate = candidate;
    const why = `${inputs.arrivalRatePerSecond.toFixed(2)} jobs/s × ${inputs.meanContainerStartMs.toFixed(0)} ms start + ${o.poolSafetyZ}√ margin → ${inputs.poolCandidate}, shrink at ${inputs.poolScaleDownCandidate}`;
    if (candidate === from) return { changed: false, reason: `pool ${from} held (${why})` };
    if (!confirmed) return { changed: false, reason: `pool ${from} held (${why}, awaiting confirmation)` };
    const cooldownMs = candidate > from ? o.poolScaleUpCooldownMs : o.poolScaleDownCooldownMs;
    if (this.lastPoolChangeAt !== undefined && now - this.lastPoolChangeAt < cooldownMs) {
      return { changed: false, reason: `pool ${from} held (${why}, cooldown)` };
    }
    this.poolTarget = candidate;
    this.lastPoolChangeAt = now;
    return { changed: true, reason: `pool ${from}→${candidate} (${why})` };
  }

  /**
   * One step at a time. Raising needs all three of: idle CPU, memory for two
   * more typical jobs above the reserve, and jobs actually waiting (more slots
   * for an empty queue would only add contention). Lowering needs one: hot
   * CPU, or memory below the reserve; the latter skips the cooldown because
   * running out of memory kills jobs. The gaps between low and high CPU and
   * between "reserve" and "reserve + 2 jobs" keep it from flapping.
   */
  private decideConcurrency(now: number, inputs: TuningInputs): { changed: boolean; reason: string } {
    const o = this.options;
    const from = this.concurrency;
    const cooled = this.lastConcurrencyChangeAt === undefined || now - this.lastConcurrencyChangeAt >= o.concurrencyCooldownMs;
    const cpu = inputs.cpuUtilisation.toFixed(2);
    const memory = `${inputs.memoryAvailableMb.toFixed(0)} MB free`;
    const neededMb = inputs.meanJobMemoryMb * 2 + o.memoryReserveMb;
    const change = (to: number, why: string): { changed: boolean; reason: string } => {
      if (to === from) return { changed: false, reason: `concurrency ${from} held (${why}, at limit)` };
      this.concurrency = to;
      this.lastConcurrencyChangeAt = now;
      return { changed: true, reason: `concurrency ${from}→${to} (${why})` };
    };

    if (inputs.memoryAvailableMb < o.memoryReserveMb) {
      return change(Math.max(o.minConcurrency, from - 1), `${memory} < ${o.memoryReserveMb} MB reserve`);
    }
    if (inputs.cpuUtilisation > o.highCpu) {
      if (!cooled) return { changed: false, reason: `concurrency ${from} held (cpu ${cpu} > ${o.highCpu}, cooldown)` };
      return change(Math.max(o.minConcurrency, from - 1), `cpu ${cpu} > ${o.highCpu}`);
    }
    const waiting = inputs.queueWaitP50Ms > o.queueWaitThresholdMs;
    const room = inputs.cpuUtilisation < o.lowCpu && inputs.memoryAvailableMb > neededMb;
    if (waiting && room) {
      if (!cooled) return { changed: false, reason: `concurrency ${from} held (room and jobs waiting, cooldown)` };
      return change(
        Math.min(o.maxConcurrency, from + 1),
        `cpu ${cpu} < ${o.lowCpu}, ${memory} > ${neededMb.toFixed(0)} MB, queue wait p50 ${inputs.queueWaitP50Ms.toFixed(0)} ms`,
      );
    }
    const blocker = !waiting
      ? `queue wait p50 ${inputs.queueWaitP50Ms.toFixed(0)} ms ≤ ${o.queueWaitThresholdMs} ms`
      : inputs.cpuUtilisation >= o.lowCpu
        ? `cpu ${cpu} between ${o.lowCpu} and ${o.highCpu}`
        : `${memory} ≤ ${neededMb.toFixed(0)} MB needed for another job`;
    return { changed: false, reason: `concurrency ${from} held (${blocker})` };
  }
}
