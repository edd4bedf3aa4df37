/**
 * A finished job of ours as Piston's execute answer: per stage `stdout`,
 * `stderr`, `output`, `code`, `signal`, and isolate's `message` and `status`
 * (RE, SG, TO, OL, EL, XX), times in ms and memory in bytes.
 */
import { constants } from 'node:os';
import type { JobResult, StageOutput } from '../../../core/contract.ts';
import type { PistonRuntime } from './runtimes.ts';

type Status = 'RE' | 'SG' | 'TO' | 'OL' | 'EL' | 'XX' | null;

const signalNumber = (name: string) => (constants.signals as Record<string, number>)[name] ?? name;

function message(status: Status, stage: StageOutput, detail: string | undefined): string | null {
  switch (status) {
    case 'RE': return `Exited with error status ${stage.exitCode}`;
    case 'SG': return `Caught fatal signal ${signalNumber(stage.signal ?? 'SIGKILL')}`;
    case 'TO': return /wall/.test(detail ?? '') ? 'Time limit exceeded (wall clock)' : 'Time limit exceeded';
    case 'OL': return 'stdout length exceeded';
    case 'XX': return detail ?? 'internal error';
    default: return null;
  }
}

export function stageView(stage: StageOutput, status: Status, detail?: string) {
  const killed = status === 'TO' || status === 'OL' || status === 'EL';
  const signal = killed ? 'SIGKILL' : stage.signal;
  return {
    stdout: stage.stdout,
    stderr: stage.stderr,
    // Piston interleaves the two streams as they came; we keep them apart, so stdout comes first.
    output: `${stage.stdout}${stage.stderr}`,
    code: signal ? null : stage.exitCode,
    signal,
    message: message(status, stage, detail),
    status,
    cpu_time: stage.cpuTimeMs,
    wall_time: stage.timeMs,
    memory: stage.memoryKb * 1024,
  };
}

function runStatus(result: JobResult): Status {
  switch (result.verdict) {
    case 'ok':
    case 'wrong_answer':
      return null;
    case 'time_limit_exceeded': return 'TO';
    case 'output_limit_exceeded': return 'OL';
    case 'memory_limit_exceeded': return 'SG';
    case 'internal_error': return 'XX';
    default: return result.signal ? 'SG' : result.exitCode !== 0 ? 'RE' : null;
  }
}

function compileStatus(result: JobResult, compile: StageOutput): Status {
  if (result.verdict !== 'compile_error') return null;
  if (/time limit/.test(result.message ?? '')) return 'TO';
  if (/memory/.test(result.message ?? '')) return 'SG';
  return compile.signal ? 'SG' : 'RE';
}

/** Each stage Piston would report: `compile` for compiled languages, no `run` after a failed compilation. */
export function stageViews(result: JobResult) {
  const compile = result.compile ? stageView(result.compile, compileStatus(result, result.compile), result.message) : undefined;
  const run = result.verdict === 'compile_error' && compile ? undefined : stageView(result, runStatus(result), result.message);
  return { compile, run };
}

export function executeView(runtime: PistonRuntime, version: string, result: JobResult) {
  const { compile, run } = stageViews(result);
  // Piston answers a failed compilation with the compile stage as `run` too.
  return { language: runtime.language, version, run: run ?? compile!, ...(compile ? { compile } : {}) };
}
