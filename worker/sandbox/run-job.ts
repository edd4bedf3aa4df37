/**
 * Runs one job in a warm container: writes the source into the tmpfs work
 * dir, compiles when the language needs it, runs the program with the job's
 * stdin, and turns what happened into a verdict.
 *
 * The source travels on the exec's stdin, ahead of the program's own input:
 * `head -c N` reads exactly N bytes into the source file (GNU head never reads
 * past N), then `exec` hands the rest of stdin to the program. One exec per
 * stage keeps the per-job cost to a single Engine API round trip.
 */
import type { Container } from 'dockerode';
import type { JobInput, JobLimits, JobResult, StageOutput, Verdict } from '../../core/contract.ts';
import { LANGUAGES } from '../../core/languages.ts';
import { execInContainer, type ExecOutcome } from './exec.ts';

const WRITE_THEN_EXEC = 'head -c "$1" > "$2" && shift 2 && exec "$@"';

function writeThen(file: string, sourceBytes: number, cmd: string[]): string[] {
  return ['/bin/sh', '-c', WRITE_THEN_EXEC, 'sh', String(sourceBytes), file, ...cmd];
}

function stage(outcome: ExecOutcome): StageOutput {
  return {
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    exitCode: outcome.exitCode,
    timeMs: outcome.timeMs,
    truncated: outcome.outputExceeded,
  };
}

export interface RunDeps {
  /** True when the container's cgroup hit its memory limit (OOM kill). */
  wasOomKilled: () => Promise<boolean>;
}

export async function runJob(container: Container, input: JobInput, limits: JobLimits, deps: RunDeps): Promise<JobResult> {
  const spec = LANGUAGES[input.language];
  const source = Buffer.from(input.source, 'utf8');
  let compile: StageOutput | undefined;

  if (spec.compile) {
    const outcome = await execInContainer(container, writeThen(spec.sourceFile, source.length, spec.compile), {
      stdin: source,
      timeoutMs: limits.compileWallTimeMs,
      outputBytes: limits.outputBytes,
    });
    compile = stage(outcome);
    if (outcome.timedOut || outcome.exitCode !== 0) {
      const message = outcome.timedOut ? `compilation exceeded ${limits.compileWallTimeMs} ms` : undefined;
      return { verdict: 'compile_error', stdout: '', stderr: '', exitCode: null, timeMs: 0, truncated: false, compile, ...(message ? { message } : {}) };
    }
  }

  const stdin = Buffer.from(input.stdin, 'utf8');
  const cmd = spec.compile ? spec.run : writeThen(spec.sourceFile, source.length, spec.run);
  const outcome = await execInContainer(container, cmd, {
    stdin: spec.compile ? stdin : Buffer.concat([source, stdin]),
    timeoutMs: limits.wallTimeMs,
    outputBytes: limits.outputBytes,
  });
  const oom = !outcome.timedOut && outcome.exitCode === 137 && (await deps.wasOomKilled());
  const { verdict, message } = judge(outcome, oom, limits);
  return {
    verdict,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    exitCode: outcome.timedOut ? null : outcome.exitCode,
    timeMs: outcome.timeMs,
    truncated: outcome.outputExceeded,
    ...(compile ? { compile } : {}),
    ...(message ? { message } : {}),
  };
}

/** Limits first (they explain a kill), then the program's own exit status. */
export function judge(outcome: Pick<ExecOutcome, 'timedOut' | 'outputExceeded' | 'exitCode'>, oom: boolean, limits: JobLimits): { verdict: Verdict; message?: string } {
  if (outcome.timedOut) return { verdict: 'time_limit_exceeded', message: `wall time exceeded ${limits.wallTimeMs} ms` };
  if (outcome.outputExceeded) return { verdict: 'output_limit_exceeded', message: `output exceeded ${limits.outputBytes} bytes` };
  if (oom) return { verdict: 'memory_limit_exceeded', message: 'memory limit exceeded' };
  if (outcome.exitCode === 0) return { verdict: 'ok' };
  return { verdict: 'runtime_error' };
}
