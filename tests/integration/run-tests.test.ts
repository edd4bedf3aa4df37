/**
 * `tests` on a real container: one compile, each test in fresh job namespaces
 * (nothing a test wrote, started or left in /tmp reaches the next), per-test
 * verdicts, the job's verdict from the first failing test, the time budget,
 * clipped per-test output, and a compiled work dir too large to carry.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobInput, JobLimits } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { TEST_OUTPUT_KEPT_BYTES } from '../../core/test-cases.ts';
import { runTests } from '../../worker/sandbox-host/run-tests.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { runner, testPool, tierSandbox, TIERS } from '../support/sandbox.ts';

const tests = (...stdins: string[]) => stdins.map((stdin) => ({ stdin }));

/** Prints what it finds from earlier tests, then leaves files, a /tmp file and a setsid daemon behind. */
const LEAVES_TRACES = [
  'import os, subprocess',
  "procs = len([p for p in os.listdir('/proc') if p.isdigit()])",
  "print(os.path.exists('/tmp/trace'), os.path.exists('trace'), procs)",
  "open('/tmp/trace', 'w').write('x'); open('trace', 'w').write('x')",
  "subprocess.Popen(['sleep', '30'], start_new_session=True)",
].join('\n');

describe.each(TIERS)('tests in the $tier tier', (t) => {
  const { run } = tierSandbox(t, 'tests');

  it('runs each test in fresh namespaces: no file, /tmp entry or process of an earlier test is there', async () => {
    const result = await run({ language: 'python', source: LEAVES_TRACES, tests: tests('', '', '') });

    expect(result.verdict).toBe('ok');
    const lines = result.tests!.map((t) => t.stdout);
    expect(new Set(lines).size).toBe(1);
    expect(lines[0]).toMatch(/^False False \d+\n$/);
  });

  it('compiles C++ once and runs the same program for every test, judging each', async () => {
    const source = '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<"\\n";}';
    const result = await run({
      language: 'cpp',
      source,
      tests: [
        { stdin: '1 2', expectedOutput: '3' },
        { stdin: '2 2', expectedOutput: '5' },
        { stdin: '40 2', expectedOutput: '42' },
      ],
    });

    expect(result).toMatchObject({ verdict: 'wrong_answer', failedTest: 1, stdout: '4\n', compile: { exitCode: 0 }, message: 'tests[1]: wrong_answer' });
    expect(result.tests!.map((t) => [t.index, t.verdict, t.stdout])).toEqual([
      [0, 'ok', '3\n'],
      [1, 'wrong_answer', '4\n'],
      [2, 'ok', '42\n'],
    ]);
  });
});

describe('tests in the standard tier', () => {
  let pool: WarmPool;
  let run: ReturnType<typeof runner>;
  beforeAll(async () => {
    pool = testPool(1, { workerId: `tests-std-${process.pid}` });
    await pool.start();
    run = runner(pool, 'standard');
  });
  afterAll(() => pool.close());

  const withLease = async <T>(fn: (session: Awaited<ReturnType<WarmPool['acquire']>>['session']) => Promise<T>): Promise<T> => {
    const leased = await pool.acquire();
    try {
      return await fn(leased.session);
    } finally {
      pool.release(leased, { reusable: true });
    }
  };
  const input = (language: JobInput['language'], source: string, stdins: string[]): JobInput => ({ language, source, stdin: '', args: [], files: [], tests: tests(...stdins) });

  it('asks the sandbox for one compile and then one run per test, never a compile again', async () => {
    const calls = await withLease(async (session) => {
      const spy = vi.spyOn(session, 'runCollecting');
      await runTests(session, input('c', '#include <stdio.h>\nint main(void){int x;scanf("%d",&x);printf("%d\\n",x*x);}', ['2', '3', '4']), DEFAULT_LIMITS);
      return spy.mock.calls.map(([, stages]) => stages.map((s) => s.name).join('+'));
    });
    expect(calls).toEqual(['compile', 'run', 'run', 'run']);
  });

  it('gives each test its own verdict and the job the first failing one, with its whole output', async () => {
    const source = [
      'import sys, time',
      'cmd = sys.stdin.read().strip()',
      "if cmd == 'fail': sys.exit(3)",
      "if cmd == 'slow': time.sleep(5)",
      "if cmd == 'loud': print('y' * 20000)",
      "print('ok')",
    ].join('\n');
    const result = await run({ language: 'python', source, tests: tests('', 'loud', 'fail', 'slow', '') }, { wallTimeMs: 1000 });

    expect(result).toMatchObject({ verdict: 'runtime_error', failedTest: 2, exitCode: 3 });
    expect(result.tests!.map((t) => t.verdict)).toEqual(['ok', 'ok', 'runtime_error', 'time_limit_exceeded', 'ok']);
    expect(result.tests![1]).toMatchObject({ outputClipped: true });
    expect(Buffer.byteLength(result.tests![1]!.stdout)).toBe(TEST_OUTPUT_KEPT_BYTES);
    expect(result.timeMs).toBe(Math.max(...result.tests!.map((t) => t.timeMs)));
  });

  it('shows the deciding test its whole output, however long', async () => {
    const result = await run({ language: 'python', source: "print('y' * 20000)", tests: [{ stdin: '', expectedOutput: 'n' }] });

    expect(result).toMatchObject({ verdict: 'wrong_answer', failedTest: 0 });
    expect(result.stdout).toHaveLength(20001);
    expect(result.tests![0]!.stdout).toHaveLength(TEST_OUTPUT_KEPT_BYTES);
  });

  it('skips the tests that the time budget cannot hold whole, and says so', async () => {
    const limits: JobLimits = { ...DEFAULT_LIMITS, wallTimeMs: 2000 };
    const result = await withLease((session) => runTests(session, input('python', 'import time\ntime.sleep(1.1)', ['', '', '', '']), limits, { nproc: false, budgetMs: 4000 }));

    expect(result.tests!.map((t) => t.verdict)).toEqual(['ok', 'ok', 'skipped', 'skipped']);
    expect(result).toMatchObject({ verdict: 'time_limit_exceeded', failedTest: 2 });
    expect(result.tests![2]!.message).toMatch(/all tests together may take 4000 ms/);
  });

  it('transpiles a multi-file TypeScript program once and runs the .js it made for each test', async () => {
    const files = [{ path: 'lib/twice.ts', content: 'export const twice = (x: number): number => 2 * x;' }];
    const source = "import { twice } from './lib/twice';\nimport { readFileSync } from 'fs';\nconsole.log(twice(Number(readFileSync(0, 'utf8'))));";
    const result = await run({ language: 'typescript', source, files, tests: tests('1', '21') });

    expect(result.verdict).toBe('ok');
    expect(result.tests!.map((t) => t.stdout)).toEqual(['2\n', '42\n']);
  });

  it('reports a compile error once, with no tests run', async () => {
    const result = await run({ language: 'c', source: 'int main(void) { return x; }', tests: tests('1', '2') });

    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.stderr).toMatch(/x/);
    expect(result.tests).toBeUndefined();
  });

  it('carries only regular files from the compile into the tests: no FIFO to hang on, no symbolic link to follow', async () => {
    // gcc's -wrapper runs our shell around each compiler pass: it leaves a FIFO and a link to a file outside the work dir.
    const wrapper = ['-wrapper', '/bin/sh,-c,mkfifo fifo 2>/dev/null; ln -sf /etc/hostname link; exec "$@",sh'];
    const source = '#include <stdio.h>\n#include <unistd.h>\nint main(void){printf("%d %d %d\\n", access("main", X_OK), access("fifo", F_OK), access("link", F_OK));return 0;}';
    const single = await run({ language: 'c', source, compilerOptions: wrapper });
    const result = await run({ language: 'c', source, compilerOptions: wrapper, tests: tests('', '') });

    expect(single.stdout).toBe('0 0 0\n'); // in one job, the compile's FIFO and link are there
    expect(result.compile?.exitCode).toBe(0);
    expect(result.tests!.map((t) => t.stdout)).toEqual(['0 -1 -1\n', '0 -1 -1\n']);
  });

  it('refuses to carry a compiled work dir over its bound into the tests, as a compile error that says why', async () => {
    // The bound is 16 MiB; a 2 MiB program against a 1 MiB bound shows the same path in a 16 MiB test work dir.
    const source = 'char big[2 << 20] = {1};\nint main(void) { return big[0] - 1; }';
    const carried = { maxBytes: 1 << 20, maxFiles: 256 };
    const result = await withLease((session) => runTests(session, input('c', source, ['']), DEFAULT_LIMITS, { nproc: false, carried }));

    expect(result).toMatchObject({ verdict: 'compile_error', compile: { exitCode: 0 } });
    expect(result.message).toBe('the work dir after compiling holds more than 256 files or 1048576 bytes: too large to carry into each test');
    expect(result.tests).toBeUndefined();
  });
});
