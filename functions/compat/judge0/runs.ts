/**
 * Judge0's view of a finished job's outcome, where it differs from ours:
 * `number_of_runs` (the job ran as that many tests with the same input;
 * Judge0 reports the average time and memory of the runs up to the first
 * that is not Accepted, where it stops; runs our total test time budget
 * skipped do not count against the program), and `cpu_extra_time`
 * (the program was stopped at cpu_time_limit + cpu_extra_time, but, as
 * isolate does, a run over cpu_time_limit is "Time Limit Exceeded").
 */
import type { JobResult, TestResult } from '../../../core/contract.ts';
import type { SubmissionSettings } from './request.ts';

const average = (runs: TestResult[], pick: (r: TestResult) => number) => Math.round(runs.reduce((sum, r) => sum + pick(r), 0) / Math.max(runs.length, 1));

const overCpuLimit = (run: { verdict: string; cpuTimeMs: number }, settings: SubmissionSettings) =>
  run.verdict !== 'compile_error' && run.verdict !== 'internal_error' && run.cpuTimeMs > settings.cpu_time_limit * 1000;

const timeLimited = <T extends JobResult | TestResult>(run: T): T => ({ ...run, verdict: 'time_limit_exceeded', message: `CPU time exceeded the limit` });

export function judge0Outcome(result: JobResult, settings: SubmissionSettings | undefined): JobResult {
  if (!settings) return result;
  if (!result.tests) return overCpuLimit(result, settings) ? timeLimited(result) : result;
  const judged = result.tests.filter((t) => t.verdict !== 'skipped').map((t) => (t.verdict === 'ok' && overCpuLimit(t, settings) ? timeLimited(t) : t));
  const failed = judged.find((t) => t.verdict !== 'ok');
  // Judge0 stops at the first run that is not Accepted and averages the runs it made.
  const ran = failed ? judged.slice(0, judged.indexOf(failed) + 1) : judged;
  const verdict = failed ? (failed.verdict as JobResult['verdict']) : 'ok';
  return {
    ...result,
    verdict,
    ...(failed?.message ? { message: failed.message } : {}),
    timeMs: average(ran, (r) => r.timeMs),
    cpuTimeMs: average(ran, (r) => r.cpuTimeMs),
    memoryKb: average(ran, (r) => r.memoryKb),
  };
}
