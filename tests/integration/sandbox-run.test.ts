import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInput, JobLimits } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { runJob } from '../../worker/sandbox/run-job.ts';
import type { WarmPool } from '../../worker/sandbox/warm-pool.ts';
import { testPool } from '../support/sandbox.ts';

let pool: WarmPool;
beforeAll(async () => {
  pool = testPool(2);
  await pool.start();
});
afterAll(() => pool.close());

async function run(input: Partial<JobInput> & Pick<JobInput, 'language' | 'source'>, limits: Partial<JobLimits> = {}) {
  const leased = await pool.acquire();
  try {
    return await runJob(leased.container, { stdin: '', ...input }, { ...DEFAULT_LIMITS, ...limits }, {
      wasOomKilled: async () => (await leased.container.inspect()).State.OOMKilled === true,
    });
  } finally {
    pool.release(leased.container);
  }
}

describe('running a program in the sandbox', () => {
  it('runs Python with stdin', async () => {
    const result = await run({ language: 'python', source: 'print(input()[::-1])', stdin: 'abc' });
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'cba\n', stderr: '', exitCode: 0, truncated: false });
  });

  it('runs JavaScript with stdin', async () => {
    const source = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(s.trim().toUpperCase()))";
    expect(await run({ language: 'javascript', source, stdin: 'hello' })).toMatchObject({ verdict: 'ok', stdout: 'HELLO\n' });
  });

  it('compiles and runs C++, keeping compile output apart', async () => {
    const source = '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a*b<<"\\n";}';
    const result = await run({ language: 'cpp', source, stdin: '6 7' });
    expect(result).toMatchObject({ verdict: 'ok', stdout: '42\n', compile: { exitCode: 0 } });
  });

  it('reports a C++ compile error with the compiler output', async () => {
    const result = await run({ language: 'cpp', source: 'int main() { return undefined_name; }' });
    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.stderr).toContain('undefined_name');
    expect(result.stdout).toBe('');
  });

  it('reports a runtime error with the exit code and stderr', async () => {
    const result = await run({ language: 'python', source: 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)' });
    expect(result).toMatchObject({ verdict: 'runtime_error', exitCode: 3, stderr: 'boom\n' });
  });

  it('stops a program at the wall-time limit', async () => {
    const result = await run({ language: 'python', source: 'while True: pass' }, { wallTimeMs: 500 });
    expect(result.verdict).toBe('time_limit_exceeded');
    expect(result.exitCode).toBeNull();
  });

  it('cuts output at the cap and flags it', async () => {
    const result = await run({ language: 'python', source: 'while True: print("y" * 1000)' }, { outputBytes: 4096 });
    expect(result.verdict).toBe('output_limit_exceeded');
    expect(result.truncated).toBe(true);
    expect(result.stdout.length).toBe(4096);
  });

  it('passes stdin through untouched after the source (binary-safe framing)', async () => {
    const stdin = 'line one\n\u00e9\u4e2d\n\nlast';
    const result = await run({ language: 'python', source: 'import sys\nsys.stdout.write(sys.stdin.read())', stdin });
    expect(result.stdout).toBe(stdin);
  });
});

describe('the sandbox container', () => {
  it('has no network, a read-only root and an unprivileged user', async () => {
    const source = [
      'import os, socket',
      'print(os.getuid())',
      'print(sorted(os.listdir("/sys/class/net")))',
      'try:',
      '    open("/etc/x", "w"); print("root writable")',
      'except OSError: print("root read-only")',
      'try:',
      '    socket.create_connection(("1.1.1.1", 53), timeout=1); print("connected")',
      'except OSError: print("no network")',
    ].join('\n');
    const result = await run({ language: 'python', source });
    expect(result.stdout).toBe("1000\n['lo']\nroot read-only\nno network\n");
  });
});
