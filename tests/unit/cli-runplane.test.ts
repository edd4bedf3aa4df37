/** The runplane CLI's pure parts: exit codes, ordered output, language from the file name. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError, languageOf } from '../../cli/runplane/config.ts';
import { exitCodeOf, RUNPLANE_ERROR } from '../../cli/runplane/exit-code.ts';
import { OrderedOutput } from '../../cli/runplane/ordered-output.ts';

const ok = { verdict: 'ok' as const, exitCode: 0, signal: null };

describe('exit codes', () => {
  it("are the program's own, 128 + the signal when one ended it, the compiler's on a compile error, 125 for ours", () => {
    expect(exitCodeOf(ok)).toBe(0);
    expect(exitCodeOf({ verdict: 'runtime_error', exitCode: 3, signal: null })).toBe(3);
    expect(exitCodeOf({ verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' })).toBe(139);
    expect(exitCodeOf({ verdict: 'time_limit_exceeded', exitCode: null, signal: 'SIGKILL' })).toBe(137);
    expect(exitCodeOf({ verdict: 'compile_error', exitCode: null, signal: null, compile: { stdout: '', stderr: 'x', exitCode: 1, signal: null, timeMs: 1, cpuTimeMs: 0, memoryKb: 0, truncated: false } })).toBe(1);
    expect(exitCodeOf({ verdict: 'internal_error', exitCode: null, signal: null })).toBe(RUNPLANE_ERROR);
  });
});

describe('ordered output', () => {
  const sink = () => {
    const text: string[] = [];
    return { text, stream: new Writable({ write: (chunk, _e, done) => (text.push(String(chunk)), done()) }) };
  };

  it('writes events in seq order, drops repeats, and completes the output from the result', async () => {
    const [out, err] = [sink(), sink()];
    const output = new OrderedOutput({ stdout: out.stream, stderr: err.stream });
    const event = (seq: number, stream: 'stdout' | 'stderr', data: string) => ({ type: 'job.output' as const, jobId: 'j', seq, stream, data });
    output.add(event(2, 'stderr', 'warn\n'));
    output.add(event(1, 'stdout', 'a\n'));
    output.add(event(1, 'stdout', 'a\n'));
    output.add(event(3, 'stdout', 'b\n'));
    output.finish({ stdout: 'a\nb\nc\n', stderr: 'warn\n' });
    await new Promise((r) => setImmediate(r));
    expect(out.text.join('')).toBe('a\nb\nc\n');
    expect(err.text.join('')).toBe('warn\n');
  });
});

describe('language from the file name', () => {
  it('follows each language source file extension and common aliases, and names the choices otherwise', () => {
    expect(languageOf('dir/prog.py')).toBe('python');
    expect(languageOf('a.CPP')).toBe('cpp');
    expect(languageOf('a.cc')).toBe('cpp');
    expect(languageOf('a.mjs')).toBe('javascript');
    expect(languageOf('a.ts')).toBe('typescript');
    expect(() => languageOf('a.xyz')).toThrow(CliError);
    expect(() => languageOf('a.xyz')).toThrow(/--language \(one of: python/);
  });
});
