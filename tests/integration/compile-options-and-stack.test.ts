/** `compilerOptions` and `limits.stackKb` on a real container (what Judge0's compiler_options and stack_limit map to). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { assertGvisorRuntime, runner, testPool } from '../support/sandbox.ts';

/** Recursion 20,000 deep with 1 KiB frames: ~21 MiB of stack, over the default 8 MiB. */
const DEEP = '#include <stdio.h>\nint depth(int n){volatile char pad[1024];pad[0]=(char)n;if(n==0)return 0;return depth(n-1)+(pad[0]&1);}\nint main(void){printf("%d\\n",depth(20000));return 0;}';

describe('compiler options and the stack limit', () => {
  let pool: WarmPool;
  let run: ReturnType<typeof runner>;
  beforeAll(async () => {
    pool = testPool(1, { workerId: `opts-${process.pid}` });
    await pool.start();
    run = runner(pool, 'standard');
  });
  afterAll(() => pool.close());

  it('appends compiler options to the compile command, so a later -std and a -D take effect', async () => {
    const source = '#include <stdio.h>\nint main(void){printf("%s %ld\\n", GREETING, __STDC_VERSION__);return 0;}';
    const result = await run({ language: 'c', source, compilerOptions: ['-DGREETING="hi"', '-std=c11'] });

    expect(result).toMatchObject({ verdict: 'ok', stdout: 'hi 201112\n' });
  });

  it('reports a compiler option the compiler refuses as a compile error', async () => {
    const result = await run({ language: 'cpp', source: 'int main(){}', compilerOptions: ['--no-such-option'] });

    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.stderr).toMatch(/no-such-option/);
  });

  it('overflows the default 8 MiB stack, and runs with a 64 MiB stack limit', async () => {
    const small = await run({ language: 'c', source: DEEP });
    const large = await run({ language: 'c', source: DEEP }, { stackKb: 64 * 1024 });

    expect(small).toMatchObject({ verdict: 'runtime_error', signal: 'SIGSEGV' });
    expect(large).toMatchObject({ verdict: 'ok', stdout: '10000\n' });
  });

  it('holds a program to a stack limit below the default', async () => {
    const result = await run({ language: 'c', source: DEEP.replace('depth(20000)', 'depth(2000)') }, { stackKb: 1024 });

    expect(result).toMatchObject({ verdict: 'runtime_error', signal: 'SIGSEGV' });
  });
});

describe('the stack limit under gVisor', () => {
  let pool: WarmPool;
  beforeAll(async () => {
    await assertGvisorRuntime();
    pool = testPool(1, { runtime: 'runsc', workerId: `opts-gvisor-${process.pid}` });
    await pool.start();
  });
  afterAll(() => pool?.close());

  it('runs the deep recursion with a 64 MiB stack limit', async () => {
    expect(await runner(pool, 'gvisor')({ language: 'c', source: DEEP }, { stackKb: 64 * 1024 })).toMatchObject({ verdict: 'ok', stdout: '10000\n' });
  });
});
