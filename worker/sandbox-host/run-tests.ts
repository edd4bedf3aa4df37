/**
 * A job with `tests`: compile once, then run every test in fresh job
 * namespaces. The supervisor makes new namespaces for every request, so each
 * test is its own request: its work dir is laid anew from the work dir the
 * compile left (sources and compiled program, brought back by `collect`),
 * with fresh /tmp, PID and IPC namespaces, and nothing a test wrote or started
 * reaches the next. Verdicts are judged per test as for a single run; the
 * job's verdict is the first failing test's.
 */
import type { JobInput, JobLimits, JobResult, StageOutput, TestResult } from '../../core/contract.ts';
import { LANGUAGES } from '../../core/languages.ts';
import { MAX_COMPILED_BYTES, MAX_COMPILED_FILES, TEST_OUTPUT_KEPT_BYTES, TESTS_WALL_BUDGET_MS } from '../../core/test-cases.ts';
import { prepareJob } from './prepare-job.ts';
import { compileFailed, EMPTY_RUN, judge, stageOutput, type RunOptions } from './run-job.ts';
import type { CollectRequest, SandboxFile, SupervisorSession } from './supervisor-session.ts';

/** Keeps a test's output short in the result; the verdict was judged on all of it. */
function clipped(output: StageOutput): Pick<TestResult, 'stdout' | 'stderr' | 'outputClipped'> {
  const clip = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    return bytes.length > TEST_OUTPUT_KEPT_BYTES ? bytes.subarray(0, TEST_OUTPUT_KEPT_BYTES).toString('utf8') : text;
  };
  const stdout = clip(output.stdout);
  const stderr = clip(output.stderr);
  return { stdout, stderr, ...(stdout !== output.stdout || stderr !== output.stderr ? { outputClipped: true } : {}) };
}

const skipped = (index: number, message: string): TestResult => ({ index, verdict: 'skipped', message, ...EMPTY_RUN });

export interface RunTestsOptions extends RunOptions {
  /** The total run time of all tests (default TESTS_WALL_BUDGET_MS). */
  budgetMs?: number;
  /** Bounds on the compiled work dir carried into each test (default MAX_COMPILED_BYTES, MAX_COMPILED_FILES). */
  carried?: CollectRequest;
}

export async function runTests(session: SupervisorSession, input: JobInput, limits: JobLimits, options: RunTestsOptions = { nproc: false }): Promise<JobResult> {
  const budgetMs = options.budgetMs ?? TESTS_WALL_BUDGET_MS;
  const tests = input.tests ?? [];
  const prepared = prepareJob({ ...input, stdin: '' }, limits, options.nproc);
  const compileStage = prepared.stages.find((s) => s.name === 'compile');
  const runStage = prepared.stages.find((s) => s.name === 'run')!;

  let workDir: SandboxFile[] = prepared.files;
  let compile: StageOutput | undefined;
  if (compileStage) {
    const carried = options.carried ?? { maxBytes: MAX_COMPILED_BYTES, maxFiles: MAX_COMPILED_FILES };
    const compiled = await session.runCollecting(prepared.files, [compileStage], carried);
    const outcome = compiled.stages[0];
    if (!compiled.workDir) return compileFailed(outcome, limits, compiled.collectError && `${compiled.collectError}: too large to carry into each test`);
    compile = stageOutput(outcome!);
    workDir = compiled.workDir;
  }

  const results: TestResult[] = [];
  // The whole output of the deciding test (first failing, else the last); the others' is clipped.
  let decidingOutput: StageOutput | undefined;
  let spentMs = 0;
  for (const [index, test] of tests.entries()) {
    // A test starts only with its whole wall limit left in the budget, so none is cut short by it.
    if (spentMs + limits.wallTimeMs > budgetMs) {
      results.push(skipped(index, `not run: all tests together may take ${budgetMs} ms, and ${spentMs} ms were spent before this one (its wall limit is ${limits.wallTimeMs} ms)`));
      continue;
    }
    const started = Date.now();
    const [run] = await session.run(workDir, [{ ...runStage, stdin: Buffer.from(test.stdin, 'utf8') }]);
    spentMs += Date.now() - started;
    const { verdict, message } = judge(run!, limits, test.expectedOutput, LANGUAGES[input.language].outOfMemory);
    const output = stageOutput(run!);
    results.push({ index, verdict, ...(message ? { message } : {}), ...output, ...clipped(output) });
    if (!results.some((r) => r.verdict !== 'ok' && r.index < index)) decidingOutput = output;
  }
  return overall(results, decidingOutput, compile);
}

/**
 * The job's result: the first failing test decides the verdict and shows its
 * whole output at the top; time and memory are the largest of any test (what
 * a judge reports). All passing, the last test's output is shown.
 */
function overall(results: TestResult[], decidingOutput: StageOutput | undefined, compile?: StageOutput): JobResult {
  const failed = results.find((r) => r.verdict !== 'ok');
  // Skipped tests ran nothing: then the last test that ran shows its output.
  const deciding = decidingOutput ?? EMPTY_RUN;
  const ran = results.filter((r) => r.verdict !== 'skipped');
  const max = (pick: (r: TestResult) => number) => ran.reduce((m, r) => Math.max(m, pick(r)), 0);
  const verdict = !failed ? 'ok' : failed.verdict === 'skipped' ? 'time_limit_exceeded' : failed.verdict;
  return {
    verdict,
    stdout: deciding.stdout,
    stderr: deciding.stderr,
    exitCode: deciding.exitCode,
    signal: deciding.signal,
    truncated: deciding.truncated,
    timeMs: max((r) => r.timeMs),
    cpuTimeMs: max((r) => r.cpuTimeMs),
    memoryKb: max((r) => r.memoryKb),
    ...(compile ? { compile } : {}),
    ...(failed ? { failedTest: failed.index, message: `tests[${failed.index}]: ${failed.verdict}${failed.message ? ` (${failed.message})` : ''}` } : {}),
    tests: results,
  };
}
