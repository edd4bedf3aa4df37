/**
 * Runs one prepared job through a container's supervisor and turns what
 * happened into a result with a verdict.
 */
import type { JobInput, JobLimits, JobResult, StageOutput, Verdict } from '../../core/contract.ts';
import { LANGUAGES } from '../../core/languages.ts';
import { prepareJob } from './prepare-job.ts';
import type { LiveIO } from './live-io.ts';
import type { CollectedOutputs, StageOutcome, SupervisorSession } from './supervisor-session.ts';

/** The message of a job ended by its client's `kill` action. */
export const KILLED_ON_REQUEST = 'killed on request (kill action)';

export function stageOutput(outcome: StageOutcome): StageOutput {
  return {
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    timeMs: outcome.timeMs,
    cpuTimeMs: outcome.cpuTimeMs,
    memoryKb: outcome.memoryKb,
    truncated: outcome.outputExceeded,
  };
}

export const EMPTY_RUN = { stdout: '', stderr: '', exitCode: null, signal: null, timeMs: 0, cpuTimeMs: 0, memoryKb: 0, truncated: false };

export function memoryExceeded(limits: JobLimits): JobResult {
  return { verdict: 'memory_limit_exceeded', ...EMPTY_RUN, signal: 'SIGKILL', message: `memory exceeded ${limits.memoryMb} MB` };
}

/** The program brought down gVisor's kernel (its threads or processes): its own doing, so a verdict, not a retry. */
export function sentryExhausted(): JobResult {
  return { verdict: 'runtime_error', ...EMPTY_RUN, signal: 'SIGKILL', message: "the program exhausted the gVisor sandbox's kernel (threads or processes), which ended the sandbox" };
}

export interface RunOptions {
  /** Enforce the process limit with RLIMIT_NPROC (only where uids are private to the sandbox: gVisor). */
  nproc: boolean;
  /** Streaming (onOutput) and interactive (input) jobs: the run stage's live output and input. */
  live?: LiveIO;
}

export async function runJob(session: SupervisorSession, input: JobInput, limits: JobLimits, options: RunOptions = { nproc: false }): Promise<JobResult> {
  const prepared = prepareJob(input, limits, options.nproc);
  const { live } = options;
  const runStage = prepared.stages.find((s) => s.name === 'run')!;
  if (live?.onOutput) runStage.stream = true;
  if (live?.input) runStage.interactive = true;
  const { stages: outcomes, outputs } = await session.runWithOutputs(prepared.files, prepared.stages, prepared.outputs, live);
  const compileOutcome = outcomes.find((o) => o.name === 'compile');
  const compile = compileOutcome ? stageOutput(compileOutcome) : undefined;
  const run = outcomes.find((o) => o.name === 'run');

  if (!run) return compileFailed(compileOutcome, limits);
  const { verdict, message } = judge(run, limits, input.expectedOutput, LANGUAGES[input.language].outOfMemory);
  return {
    verdict,
    ...stageOutput(run),
    ...(compile ? { compile } : {}),
    ...(message ? { message } : {}),
    ...(outputs ? outputFiles(outputs) : {}),
  };
}

function outputFiles(collected: CollectedOutputs): Pick<JobResult, 'outputs' | 'outputsTruncated'> {
  return { outputs: collected.files.map((f) => ({ path: f.path, size: f.size, contentBase64: f.content })), outputsTruncated: collected.truncated };
}

/** The result of a job whose compile stage failed (its own error, or a limit: the message says which). */
export function compileFailed(compileOutcome: StageOutcome | undefined, limits: JobLimits, why?: string): JobResult {
  const message = why ?? (compileOutcome?.timedOut || compileOutcome?.cpuExceeded
    ? `compilation exceeded its time limit (${limits.compileWallTimeMs} ms wall, ${limits.compileCpuTimeMs} ms CPU)`
    : compileOutcome?.oomKilled ? `compilation exceeded the memory limit (${limits.memoryMb} MB)` : undefined);
  return { verdict: 'compile_error', ...EMPTY_RUN, ...(compileOutcome ? { compile: stageOutput(compileOutcome) } : {}), ...(message ? { message } : {}) };
}

/** Judges compare output the way people read it: trailing spaces and trailing blank lines do not count. */
export function sameOutput(actual: string, expected: string): boolean {
  const normalise = (text: string) => text.replace(/\r\n/g, '\n').split('\n').map((line) => line.trimEnd()).join('\n').trimEnd();
  return normalise(actual) === normalise(expected);
}

type Judged = Pick<StageOutcome, 'killed' | 'timedOut' | 'cpuExceeded' | 'outputExceeded' | 'oomKilled' | 'exitCode' | 'signal' | 'stdout'> & Partial<Pick<StageOutcome, 'stderr'>>;

/**
 * Limits first (they explain a kill), then the program's own exit status, then its answer.
 * `outOfMemory`: the runtime's own out-of-memory message on either stream (its heap is sized from the
 * memory limit, core/memory-models.ts), which is the memory verdict too.
 */
export function judge(run: Judged, limits: JobLimits, expectedOutput?: string, outOfMemory?: RegExp): { verdict: Verdict; message?: string } {
  if (run.killed) return { verdict: 'runtime_error', message: KILLED_ON_REQUEST };
  if (run.timedOut) return { verdict: 'time_limit_exceeded', message: `wall time exceeded ${limits.wallTimeMs} ms` };
  if (run.cpuExceeded) return { verdict: 'time_limit_exceeded', message: `CPU time exceeded ${limits.cpuTimeMs} ms` };
  if (run.outputExceeded) return { verdict: 'output_limit_exceeded', message: `output exceeded ${limits.outputBytes} bytes` };
  if (run.oomKilled) return { verdict: 'memory_limit_exceeded', message: `memory exceeded ${limits.memoryMb} MB` };
  // Either stream: the JVM's ExitOnOutOfMemoryError reports on stdout. A program can only fake its own verdict.
  if (run.exitCode !== 0 && outOfMemory && (outOfMemory.test(run.stderr ?? '') || outOfMemory.test(run.stdout))) {
    return { verdict: 'memory_limit_exceeded', message: `the runtime ran out of the memory sized from the ${limits.memoryMb} MB limit` };
  }
  if (run.exitCode !== 0) {
    return { verdict: 'runtime_error', ...(run.signal ? { message: `killed by ${run.signal}` } : {}) };
  }
  if (expectedOutput !== undefined && !sameOutput(run.stdout, expectedOutput)) return { verdict: 'wrong_answer' };
  return { verdict: 'ok' };
}
