/**
 * Piston's /api/v2/connect protocol as pure functions: which messages are
 * Piston's, and the relay's translation of our job events into Piston's
 * `data`, `stage`, `exit` and `error` messages.
 */
import { describe, expect, it } from 'vitest';
import { jobEventMessage, type JobRecord, type JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { pistonMessage } from '../../functions/compat/piston/connect.ts';
import { PISTON_COMPILED_DIALECT, PISTON_DIALECT, pistonDialects } from '../../functions/compat/piston/connect-messages.ts';

const python = pistonDialects[PISTON_DIALECT]!;
const cpp = pistonDialects[PISTON_COMPILED_DIALECT]!;
const ok: JobResult = { verdict: 'ok', stdout: 'HI\n', stderr: '', exitCode: 0, signal: null, timeMs: 30, cpuTimeMs: 20, memoryKb: 9000, truncated: false };
const compiled = { stdout: '', stderr: '', exitCode: 0, signal: null, timeMs: 200, cpuTimeMs: 150, memoryKb: 30_000, truncated: false };

const job = (fields: Partial<JobRecord>): JobRecord => ({
  jobId: 'j1', tenantId: 'acme', status: 'completed', language: 'python', limits: DEFAULT_LIMITS, isolation: 'standard', createdAt: '2026-11-30T09:00:00.000Z', ...fields,
});
const completed = (result: JobResult, language: JobRecord['language'] = 'python') => jobEventMessage('job.completed', job({ result, language }));
const output = (seq: number, stream: 'stdout' | 'stderr', data: string) => ({ type: 'job.output' as const, jobId: 'j1', seq, stream, data });

describe("which messages are Piston's", () => {
  it('takes a JSON object with a type and no action', () => {
    expect(pistonMessage('{"type":"init","language":"py"}')).toEqual({ type: 'init', language: 'py' });
    expect(pistonMessage('{"type":"data","stream":"stdin","data":"x"}')).toMatchObject({ type: 'data' });
  });

  it('leaves native actions, other JSON and malformed text to the native handler', () => {
    expect(pistonMessage('{"action":"run","type":"init"}')).toBeUndefined();
    expect(pistonMessage('{"language":"py"}')).toBeUndefined();
    expect(pistonMessage('[{"type":"init"}]')).toBeUndefined();
    expect(pistonMessage('"init"')).toBeUndefined();
    expect(pistonMessage('{"type":')).toBeUndefined();
    expect(pistonMessage(undefined)).toBeUndefined();
  });
});

describe('job events as Piston messages', () => {
  it('turns output into data messages of the same stream, keeping the socket open', () => {
    expect(python(output(1, 'stdout', 'A\n'))).toEqual({ messages: [{ type: 'data', stream: 'stdout', data: 'A\n' }], close: false });
    expect(python(output(2, 'stderr', 'oops\n'))).toEqual({ messages: [{ type: 'data', stream: 'stderr', data: 'oops\n' }], close: false });
  });

  it('says nothing for queued and running, which Piston has no message for', () => {
    expect(python(jobEventMessage('job.queued', job({ status: 'queued' })))).toEqual({ messages: [], close: false });
    expect(python(jobEventMessage('job.running', job({ status: 'running' })))).toEqual({ messages: [], close: false });
  });

  it('ends a run with its exit code and closes the socket', () => {
    expect(python(completed(ok))).toEqual({ messages: [{ type: 'exit', stage: 'run', code: 0, signal: null }], close: true });
    expect(python(completed({ ...ok, verdict: 'runtime_error', exitCode: 3 })).messages).toEqual([{ type: 'exit', stage: 'run', code: 3, signal: null }]);
  });

  it('reports a killed program as Piston does: no code, signal SIGKILL (time and output limits too)', () => {
    const killed = { ...ok, verdict: 'runtime_error' as const, exitCode: null, signal: 'SIGKILL', message: 'killed on request (kill action)' };
    expect(python(completed(killed)).messages).toEqual([{ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' }]);
    const timedOut = { ...ok, verdict: 'time_limit_exceeded' as const, exitCode: null, signal: 'SIGKILL' };
    expect(python(completed(timedOut)).messages).toEqual([{ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' }]);
    expect(python(completed({ ...ok, verdict: 'output_limit_exceeded' })).messages).toEqual([{ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' }]);
  });

  it("makes a compiled program's first output end the compile stage and start the run stage", () => {
    expect(cpp(output(1, 'stdout', 'A\n')).messages).toEqual([
      { type: 'exit', stage: 'compile', code: 0, signal: null },
      { type: 'stage', stage: 'run' },
      { type: 'data', stream: 'stdout', data: 'A\n' },
    ]);
    expect(cpp(output(2, 'stdout', 'B\n')).messages).toEqual([{ type: 'data', stream: 'stdout', data: 'B\n' }]);
  });

  it('gives a compiled program that wrote nothing its compile output, both stages and both exits at the end', () => {
    const result = { ...ok, stdout: '', compile: { ...compiled, stderr: 'warning: unused x\n' } };
    expect(cpp(completed(result, 'cpp'))).toEqual({
      messages: [
        { type: 'data', stream: 'stderr', data: 'warning: unused x\n' },
        { type: 'exit', stage: 'compile', code: 0, signal: null },
        { type: 'stage', stage: 'run' },
        { type: 'exit', stage: 'run', code: 0, signal: null },
      ],
      close: true,
    });
  });

  it('does not repeat the compile stage when the output already ended it', () => {
    expect(cpp(completed({ ...ok, compile: compiled }, 'cpp')).messages).toEqual([{ type: 'exit', stage: 'run', code: 0, signal: null }]);
  });

  it('ends a failed compilation with the compiler output and the compile exit, and no run stage', () => {
    const result: JobResult = { ...ok, verdict: 'compile_error', stdout: '', exitCode: null, compile: { ...compiled, stderr: "error: expected ';'\n", exitCode: 1 } };
    expect(cpp(completed(result, 'cpp'))).toEqual({
      messages: [{ type: 'data', stream: 'stderr', data: "error: expected ';'\n" }, { type: 'exit', stage: 'compile', code: 1, signal: null }],
      close: true,
    });
  });

  it('turns a job our infrastructure could not run into an error before the close', () => {
    const failed = jobEventMessage('job.failed', job({ status: 'failed', error: { code: 'infrastructure_error', message: 'the platform could not run the job' } }));
    expect(python(failed)).toEqual({ messages: [{ type: 'error', message: 'the platform could not run the job', closeCode: 4002 }], close: true });
  });

  it('still ends the session when the result was too large to travel with the event', () => {
    const omitted = jobEventMessage('job.completed', job({ resultKey: 'results/j1/1.json' }));
    expect(python(omitted)).toEqual({ messages: [{ type: 'exit', stage: 'run', code: null, signal: null }], close: true });
  });
});
