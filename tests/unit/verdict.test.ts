import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { judge, sameOutput } from '../../worker/sandbox-host/run-job.ts';

const clean = { timedOut: false, cpuExceeded: false, outputExceeded: false, oomKilled: false, exitCode: 0, signal: null, stdout: '42\n' };

describe('the verdict of a run', () => {
  it('is ok when the program exits 0 within its limits', () => {
    expect(judge(clean, DEFAULT_LIMITS)).toEqual({ verdict: 'ok' });
  });

  it('is runtime_error for a non-zero exit', () => {
    expect(judge({ ...clean, exitCode: 1 }, DEFAULT_LIMITS).verdict).toBe('runtime_error');
  });

  it('names the signal that killed the program', () => {
    expect(judge({ ...clean, exitCode: null, signal: 'SIGSEGV' }, DEFAULT_LIMITS)).toEqual({ verdict: 'runtime_error', message: 'killed by SIGSEGV' });
  });

  it('puts a wall-time timeout before the kill it caused', () => {
    expect(judge({ ...clean, timedOut: true, exitCode: null, signal: 'SIGKILL' }, DEFAULT_LIMITS).verdict).toBe('time_limit_exceeded');
  });

  it('treats CPU time over the limit as time_limit_exceeded', () => {
    expect(judge({ ...clean, cpuExceeded: true, exitCode: null, signal: 'SIGXCPU' }, DEFAULT_LIMITS).message).toMatch(/CPU time/);
  });

  it('reports the output limit when output was cut', () => {
    expect(judge({ ...clean, outputExceeded: true, exitCode: null, signal: 'SIGKILL' }, DEFAULT_LIMITS).verdict).toBe('output_limit_exceeded');
  });

  it('reports the memory limit when the cgroup OOM-killed the program', () => {
    expect(judge({ ...clean, oomKilled: true, exitCode: null, signal: 'SIGKILL' }, DEFAULT_LIMITS).verdict).toBe('memory_limit_exceeded');
  });

  it('is wrong_answer when the output differs from the expected output', () => {
    expect(judge(clean, DEFAULT_LIMITS, '41').verdict).toBe('wrong_answer');
  });

  it('is ok when the output matches the expected output', () => {
    expect(judge(clean, DEFAULT_LIMITS, '42').verdict).toBe('ok');
  });
});

describe('output comparison', () => {
  it.each([
    ['1 2\n3\n', '1 2\n3'],
    ['1 2  \n3\n\n\n', '1 2\n3\n'],
    ['a\r\nb\r\n', 'a\nb'],
  ])('ignores trailing whitespace: %j ~ %j', (actual, expected) => {
    expect(sameOutput(actual, expected)).toBe(true);
  });

  it.each([
    ['1 2\n', '1  2\n'],
    ['a\nb', 'a\n\nb'],
    [' 1', '1'],
  ])('keeps inner and leading whitespace: %j differs from %j', (actual, expected) => {
    expect(sameOutput(actual, expected)).toBe(false);
  });
});
