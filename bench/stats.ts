/** Latency statistics and a bounded-concurrency driver for the benchmark. */

export interface CellResult {
  mode: string;
  concurrency: number;
  jobs: number;
  p50Ms: number;
  p99Ms: number;
  jobsPerSecond: number;
  errors: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** Runs `jobs` calls of `once` with at most `concurrency` in flight; times each call. */
export async function drive(mode: string, concurrency: number, jobs: number, once: () => Promise<void>): Promise<CellResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs) {
        next++;
        const t = performance.now();
        try {
          await once();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    mode,
    concurrency,
    jobs,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    jobsPerSecond: round(latencies.length / seconds),
    errors,
  };
}

const round = (n: number) => Math.round(n * 10) / 10;
