/**
 * The scaling simulator's command line:
 *
 *   npm run simulate                          print the results table
 *   npm run simulate -- --scenario micro-bursty   only some scenarios (repeatable)
 *   npm run simulate -- --write-docs          also update docs/scaling.md's table and plots
 *
 * Deterministic: the same code gives the same numbers. About 10 s for all.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { markdownTable } from './report.ts';
import { BACKLOG_AND_CPU, runScenario, SCENARIOS, type ScenarioRun } from './scenarios.ts';
import { stepScaling } from '../policy/step-scaling.ts';
import { targetTracking } from '../policy/target-tracking.ts';
import { plotTimelines, type PlotSeries } from './svg-plot.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DOC = join(ROOT, 'docs/scaling.md');
const BEGIN = '<!-- simulation-table:begin (npm run simulate -- --write-docs) -->';
const END = '<!-- simulation-table:end -->';
/** Scenarios drawn as plots in the docs (with the warm pool, the stack's default). */
const PLOTTED = ['micro-bursty', 'micro-surge', 'long-bursty', 'micro-diurnal'];
const COLORS = { target: '#1f6fd1', combined: '#1a9e4a', step: '#e0701a', fixed: '#8a8a8a' };

const { values } = parseArgs({ options: { scenario: { type: 'string', multiple: true }, 'write-docs': { type: 'boolean', default: false } } });
const unknown = (values.scenario ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  process.exit(64);
}
const chosen = SCENARIOS.filter((s) => !values.scenario || values.scenario.includes(s.id));

const runs: ScenarioRun[] = [];
for (const scenario of chosen) {
  const started = Date.now();
  runs.push(...runScenario(scenario));
  console.error(`[simulate] ${scenario.id}: ${scenario.description} (${Date.now() - started} ms)`);
}
const table = markdownTable(runs.map((r) => ({ scenario: r.scenario.id, boot: r.boot, result: r.result })));
console.log(table);

function plotFor(id: string): string {
  const mine = runs.filter((r) => r.scenario.id === id);
  const pick = (policy: string, boot: string) => mine.find((r) => r.result.policy === policy && r.boot === boot)!;
  const series: PlotSeries[] = [
    { label: 'target tracking on backlog/instance 5 alone', color: COLORS.target, timeline: pick(targetTracking().name, 'warm pool').result.timeline },
    { label: 'backlog/instance 5 + CPU 70 % (the stack’s policies)', color: COLORS.combined, timeline: pick(BACKLOG_AND_CPU.name, 'warm pool').result.timeline },
    { label: 'step scaling on queue length', color: COLORS.step, timeline: pick(stepScaling().name, 'warm pool').result.timeline },
    { label: mine.at(-1)!.result.policy, color: COLORS.fixed, timeline: mine.at(-1)!.result.timeline },
  ];
  return plotTimelines(`${id}: ${mine[0]!.scenario.description} (warm pool)`, series);
}

if (values['write-docs']) {
  if (chosen.length !== SCENARIOS.length) {
    console.error('--write-docs needs every scenario (drop --scenario)');
    process.exit(64);
  }
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} lacks the markers ${BEGIN} … ${END}`);
  writeFileSync(DOC, `${doc.slice(0, from + BEGIN.length)}\n${table}\n${doc.slice(to)}`);
  mkdirSync(join(ROOT, 'docs/scaling'), { recursive: true });
  for (const id of PLOTTED) writeFileSync(join(ROOT, 'docs/scaling', `${id}.svg`), plotFor(id));
  console.error(`[simulate] wrote the table to docs/scaling.md and ${PLOTTED.length} plots to docs/scaling/`);
}
