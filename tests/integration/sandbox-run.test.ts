import { describe, expect, it } from 'vitest';
import { tierSandbox, TIERS } from '../support/sandbox.ts';

describe.each(TIERS)('running programs in the $tier tier', (t) => {
  const { run } = tierSandbox(t, 'run', { size: 2 });

  it('runs Python with stdin', async () => {
    const result = await run({ language: 'python', source: 'print(input()[::-1])', stdin: 'abc' });
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'cba\n', stderr: '', exitCode: 0, signal: null, truncated: false });
    expect(result.cpuTimeMs).toBeGreaterThan(0);
    expect(result.memoryKb).toBeGreaterThan(1000);
  });

  it('runs JavaScript with stdin', async () => {
    const source = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(s.trim().toUpperCase()))";
    expect(await run({ language: 'javascript', source, stdin: 'hello' })).toMatchObject({ verdict: 'ok', stdout: 'HELLO\n' });
  });

  it('runs TypeScript with its types stripped in the sandbox, as a compile stage', async () => {
    const source = 'interface P { n: number }\nconst p: P = { n: 21 };\nconsole.log(p.n * 2 as number);';
    expect(await run({ language: 'typescript', source })).toMatchObject({ verdict: 'ok', stdout: '42\n', compile: { exitCode: 0 } });
  });

  it('strips TypeScript 5 syntax', async () => {
    const source = 'function first<const T extends readonly unknown[]>(xs: T) { return xs[0]; }\nclass C { accessor n = 42; }\nconsole.log(first([new C().n] as const));';
    expect(await run({ language: 'typescript', source })).toMatchObject({ verdict: 'ok', stdout: '42\n' });
  });

  it('does not check TypeScript types', async () => {
    const source = 'const n: number = "not a number" as any as string;\nconst m: boolean = n;\nconsole.log(m);';
    expect(await run({ language: 'typescript', source })).toMatchObject({ verdict: 'ok', stdout: 'not a number\n' });
  });

  it("reports a TypeScript syntax error as a compile error with esbuild's message", async () => {
    const result = await run({ language: 'typescript', source: 'const x: = 1;' });
    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.stderr).toMatch(/ERROR[\s\S]*main\.ts:1:\d+/);
  });

  it('contains a TypeScript source that overflows the compiler, and the next TypeScript job still runs', async () => {
    // Nesting deep enough to overflow esbuild's Go stack (the review's 260 KB source).
    const hostile = await run({ language: 'typescript', source: `let x = ${'!'.repeat(260_000)}1;\nconsole.log(x);` });
    expect(['compile_error', 'time_limit_exceeded', 'memory_limit_exceeded']).toContain(hostile.verdict);
    const next = await run({ language: 'typescript', source: 'const n: number = 42;\nconsole.log(n);' });
    expect(next).toMatchObject({ verdict: 'ok', stdout: '42\n' });
  });

  it('transpiles every TypeScript file of a multi-file program', async () => {
    const files = [{ path: 'lib/twice.ts', content: 'export const twice = (x: number): number => 2 * x;' }];
    const source = "import { twice } from './lib/twice';\nconsole.log(twice(21));";
    expect(await run({ language: 'typescript', source, files })).toMatchObject({ verdict: 'ok', stdout: '42\n' });
  });

  it('compiles and runs C', async () => {
    const source = '#include <stdio.h>\n#include <math.h>\nint main(void){double x;scanf("%lf",&x);printf("%.1f\\n",sqrt(x));return 0;}';
    expect(await run({ language: 'c', source, stdin: '81' })).toMatchObject({ verdict: 'ok', stdout: '9.0\n', compile: { exitCode: 0 } });
  });

  it('compiles and runs C++, keeping compile output apart', async () => {
    const source = '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a*b<<"\\n";}';
    const result = await run({ language: 'cpp', source, stdin: '6 7' });
    expect(result).toMatchObject({ verdict: 'ok', stdout: '42\n', compile: { exitCode: 0 } });
  });

  it('runs Bash with arguments', async () => {
    expect(await run({ language: 'bash', source: 'echo "$#:$1:$2"', args: ['a b', 'c'] })).toMatchObject({ verdict: 'ok', stdout: '2:a b:c\n' });
  });

  it('runs a multi-file Python program from its entry point', async () => {
    const files = [
      { path: 'app/main.py', content: 'import sys\nsys.path.insert(0, "lib")\nfrom helper import twice\nprint(twice(21))' },
      { path: 'lib/helper.py', content: 'def twice(x):\n    return 2 * x' },
    ];
    expect(await run({ language: 'python', files, entryPoint: 'app/main.py' })).toMatchObject({ verdict: 'ok', stdout: '42\n' });
  });

  it('compiles every C++ source of a multi-file program', async () => {
    const files = [
      { path: 'util.hpp', content: 'int answer();' },
      { path: 'util.cpp', content: '#include "util.hpp"\nint answer(){return 42;}' },
    ];
    const source = '#include <cstdio>\n#include "util.hpp"\nint main(){std::printf("%d\\n", answer());}';
    expect(await run({ language: 'cpp', source, files })).toMatchObject({ verdict: 'ok', stdout: '42\n' });
  });

  it('reports a C++ compile error with the compiler output', async () => {
    const result = await run({ language: 'cpp', source: 'int main() { return undefined_name; }' });
    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.stderr).toContain('undefined_name');
    expect(result.stdout).toBe('');
  });

  it('judges against the expected output', async () => {
    expect((await run({ language: 'python', source: 'print(2+2)', expectedOutput: '4\n' })).verdict).toBe('ok');
    expect((await run({ language: 'python', source: 'print(2+3)', expectedOutput: '4\n' })).verdict).toBe('wrong_answer');
  });

  it('reports a runtime error with the exit code and stderr', async () => {
    const result = await run({ language: 'python', source: 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)' });
    expect(result).toMatchObject({ verdict: 'runtime_error', exitCode: 3, stderr: 'boom\n' });
  });

  it.each([
    ['SIGSEGV', 'int main(){volatile int*p=0;return *p;}'],
    ['SIGFPE', 'int main(int c,char**v){volatile int z=c-1;return 10/z;}'],
  ])('names the signal %s that killed a C program', async (signal, source) => {
    const result = await run({ language: 'c', source });
    expect(result).toMatchObject({ verdict: 'runtime_error', signal, exitCode: null });
  });

  it('stops a program at the wall-time limit', async () => {
    const result = await run({ language: 'python', source: 'import time\ntime.sleep(30)' }, { wallTimeMs: 500 });
    expect(result.verdict).toBe('time_limit_exceeded');
    expect(result.timeMs).toBeLessThan(5_000);
  });

  it('stops a busy loop at the CPU-time limit', async () => {
    const result = await run({ language: 'python', source: 'while True: pass' }, { cpuTimeMs: 1000, wallTimeMs: 10_000 });
    expect(result.verdict).toBe('time_limit_exceeded');
    expect(result.message).toMatch(/CPU/);
  });

  it('reports the memory limit and the peak memory', async () => {
    const result = await run({ language: 'python', source: 'x = bytearray(200 * 1024 * 1024)\nprint(len(x))' }, { memoryMb: 64 });
    expect(result.verdict).toBe('memory_limit_exceeded');
  });

  it('measures peak memory of a program within its limit', async () => {
    const result = await run({ language: 'python', source: 'x = bytearray(40 * 1024 * 1024)\nx[::4096] = b"1" * len(x[::4096])\nprint("ok")' }, { memoryMb: 128 });
    expect(result.verdict).toBe('ok');
    expect(result.memoryKb).toBeGreaterThan(40 * 1024);
  });

  it('cuts output at the cap and flags it', async () => {
    const result = await run({ language: 'python', source: 'while True: print("y" * 1000)' }, { outputBytes: 4096 });
    expect(result.verdict).toBe('output_limit_exceeded');
    expect(result.truncated).toBe(true);
    expect(result.stdout.length).toBe(4096);
  });

  it('enforces the file size limit', async () => {
    const source = 'with open("big", "wb") as f:\n    f.write(b"x" * 200_000)';
    const result = await run({ language: 'python', source }, { fileSizeBytes: 100_000 });
    expect(result.verdict).toBe('runtime_error');
  });

  it('enforces the open files limit', async () => {
    const source = 'fs = []\ntry:\n    while True: fs.append(open("/dev/null"))\nexcept OSError as e:\n    print(len(fs) < 40, e.errno)';
    const result = await run({ language: 'python', source }, { openFiles: 32 });
    expect(result.stdout).toBe('True 24\n');
  });

  it('passes stdin through untouched', async () => {
    const stdin = 'line one\n\u00e9\u4e2d\n\nlast';
    const result = await run({ language: 'python', source: 'import sys\nsys.stdout.write(sys.stdin.read())', stdin });
    expect(result.stdout).toBe(stdin);
  });

  it('feeds a large stdin without deadlock while the program writes', async () => {
    const stdin = 'z'.repeat(1_000_000);
    const result = await run({ language: 'python', source: 'import sys\nd = sys.stdin.read()\nprint(len(d))' , stdin });
    expect(result.stdout).toBe('1000000\n');
  });
});
