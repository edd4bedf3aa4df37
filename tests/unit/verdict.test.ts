import { describe, expect, it } from 'vitest';
import { judge } from '../../worker/sandbox/run-job.ts';

const limits = { wallTimeMs: 1000, outputBytes: 1024, compileWallTimeMs: 5000 };

describe('the verdict of a run', () => {
  it('is ok when the program exits 0 within its limits', () => {
    expect(judge({ timedOut: false, outputExceeded: false, exitCode: 0 }, false, limits)).toEqual({ verdict: 'ok' });
  });

  it('is runtime_error for a non-zero exit', () => {
    expect(judge({ timedOut: false, outputExceeded: false, exitCode: 1 }, false, limits).verdict).toBe('runtime_error');
  });

  it('puts a timeout before the kill it caused', () => {
    expect(judge({ timedOut: true, outputExceeded: false, exitCode: 137 }, false, limits).verdict).toBe('time_limit_exceeded');
  });

  it('reports the output limit when output was cut', () => {
    expect(judge({ timedOut: false, outputExceeded: true, exitCode: 137 }, false, limits).verdict).toBe('output_limit_exceeded');
  });

  it('reports the memory limit when the cgroup OOM-killed the program', () => {
    expect(judge({ timedOut: false, outputExceeded: false, exitCode: 137 }, true, limits).verdict).toBe('memory_limit_exceeded');
  });
});
