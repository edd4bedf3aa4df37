/** Summaries of simulation results: percentiles and the markdown table the docs show. */
import type { SimulationResult } from './simulator.ts';

/** The q-quantile (0..1) by nearest rank. */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${(seconds / 60).toFixed(1)} min`;
}

export interface ResultRow {
  scenario: string;
  boot: string;
  result: SimulationResult;
}

export interface RowSummary {
  instanceMinutes: number;
  waitP50: number;
  waitP99: number;
  peakBacklog: number;
  peakInstances: number;
}

export function summarize(result: SimulationResult): RowSummary {
  return {
    instanceMinutes: result.instanceMinutes,
    waitP50: percentile(result.waits, 0.5),
    waitP99: percentile(result.waits, 0.99),
    peakBacklog: result.peakBacklog,
    peakInstances: result.peakInstances,
  };
}

export function markdownTable(rows: ResultRow[]): string {
  const lines = [
    '| scenario | jobs | instance boot | policy | instance-minutes | p50 wait | p99 wait | peak backlog | peak instances |',
    '|---|--:|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const { scenario, boot, result } of rows) {
    const s = summarize(result);
    lines.push(
      `| ${scenario} | ${result.jobs.toLocaleString('en-US')} | ${boot} | ${result.policy} | ${Math.round(s.instanceMinutes).toLocaleString('en-US')} | ` +
        `${formatSeconds(s.waitP50)} | ${formatSeconds(s.waitP99)} | ${s.peakBacklog.toLocaleString('en-US')} | ${s.peakInstances} |`,
    );
  }
  return lines.join('\n');
}
