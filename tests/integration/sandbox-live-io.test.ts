/**
 * Live output and interactive stdin through the real sandbox path (warm pool,
 * supervisor, job init) in both isolation tiers: output arrives while the
 * program runs, stdin lines reach it one at a time, eof and kill end it, and
 * the wall and output limits still hold.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsolationTier, JobInput, JobLimits, JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { createLogger } from '../../core/logger.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import type { LiveIO, OutputStream, StdinControl } from '../../worker/sandbox-host/live-io.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { assertGvisorRuntime, testPool, TIERS } from '../support/sandbox.ts';

interface Chunk {
  stream: OutputStream;
  text: string;
  at: number;
}

/** A client-like driver: records output chunks with their arrival time and lets the test send controls. */
function liveDriver(interactive: boolean) {
  const chunks: Chunk[] = [];
  const waiters: (() => void)[] = [];
  let send: ((control: StdinControl) => void) | undefined;
  let stopped = false;
  const live: LiveIO = {
    onOutput: (stream, data) => {
      chunks.push({ stream, text: data.toString('utf8'), at: Date.now() });
      waiters.splice(0).forEach((wake) => wake());
    },
    ...(interactive ? { input: (deliver: (c: StdinControl) => void) => ((send = deliver), () => void (stopped = true)) } : {}),
  };
  const stdout = () => chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
  return {
    live,
    chunks,
    stdout,
    get stopped() {
      return stopped;
    },
    send: (control: StdinControl) => send!(control),
    /** Resolves once the job has been handed to the supervisor (its input is attached). */
    async attached(): Promise<void> {
      while (!send) await new Promise((wake) => setTimeout(wake, 20));
    },
    /** Resolves once stdout holds `text`; fails the test after a generous deadline. */
    async stdoutHas(text: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!stdout().includes(text)) {
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} in the live stdout ${JSON.stringify(stdout())}`);
        await new Promise<void>((wake) => (waiters.push(wake), setTimeout(wake, 200)));
      }
    },
  };
}

describe.each(TIERS)('live output and interactive stdin in the $tier tier', ({ tier, runtime }) => {
  let pool: WarmPool;
  let run: (input: Partial<JobInput> & Pick<JobInput, 'language'>, live: LiveIO, limits?: Partial<JobLimits>) => Promise<JobResult>;
  beforeAll(async () => {
    if (runtime === 'runsc') await assertGvisorRuntime();
    pool = testPool(1, { runtime, workerId: `live-${tier}-${process.pid}` });
    await pool.start();
    const execute = poolExecutor({ [tier as IsolationTier]: pool });
    const log = createLogger('test-live', 'silent');
    run = (input, live, limits = {}) =>
      execute({ input: { stdin: '', args: [], files: [], ...input }, limits: { ...DEFAULT_LIMITS, ...limits }, isolation: tier, tenantId: 'acme', aiEnabled: false, log, live });
  });
  afterAll(() => pool.close());

  it('delivers the first line while the program still runs, and the result stays complete', async () => {
    const driver = liveDriver(false);
    const source = 'import sys, time\nprint("first", flush=True)\nprint("oops", file=sys.stderr, flush=True)\ntime.sleep(1)\nprint("second")';
    const result = await run({ language: 'python', source }, driver.live);
    const ended = Date.now();
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'first\nsecond\n', stderr: 'oops\n' });
    const first = driver.chunks.find((c) => c.text.includes('first'))!;
    expect(ended - first.at).toBeGreaterThanOrEqual(500);
    expect(driver.stdout()).toBe(result.stdout);
    expect(driver.chunks.filter((c) => c.stream === 'stderr').map((c) => c.text).join('')).toBe('oops\n');
  });

  it('answers each stdin line before the next is sent, and ends at eof with exit code 0', async () => {
    const driver = liveDriver(true);
    const source = 'import sys\nfor line in sys.stdin:\n    print(line.strip().upper(), flush=True)\nprint("bye")';
    const finished = run({ language: 'python', source }, driver.live);
    await driver.attached();
    for (const word of ['alpha', 'beta', 'gamma']) {
      driver.send({ stdin: Buffer.from(`${word}\n`) });
      await driver.stdoutHas(`${word.toUpperCase()}\n`);
    }
    driver.send({ eof: true });
    const result = await finished;
    expect(result).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'ALPHA\nBETA\nGAMMA\nbye\n' });
    expect(driver.stopped).toBe(true);
  });

  it('takes stdin sent right with the job, which reaches the supervisor in the same read as the request', async () => {
    const live: LiveIO = {
      input: (deliver) => {
        deliver({ stdin: Buffer.from('now\n') });
        deliver({ eof: true });
        return () => {};
      },
    };
    const result = await run({ language: 'python', source: 'import sys\nprint(sys.stdin.read().upper(), end="")' }, live, { wallTimeMs: 10_000 });
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'NOW\n' });
  });

  it('ends an interactive job on kill, and the verdict says so', async () => {
    const driver = liveDriver(true);
    const finished = run({ language: 'python', source: 'print("ready", flush=True)\ninput()' }, driver.live);
    await driver.stdoutHas('ready\n');
    driver.send({ kill: true });
    expect(await finished).toMatchObject({ verdict: 'runtime_error', signal: 'SIGKILL', message: 'killed on request (kill action)' });
  });

  it('ends an idle interactive job at its wall limit', async () => {
    const driver = liveDriver(true);
    const result = await run({ language: 'python', source: 'input()' }, driver.live, { wallTimeMs: 1000 });
    expect(result).toMatchObject({ verdict: 'time_limit_exceeded' });
  });

  it('streams no more than the output limit', async () => {
    const driver = liveDriver(false);
    const result = await run({ language: 'python', source: 'import sys\nwhile True: sys.stdout.write("x" * 1000)' }, driver.live, { outputBytes: 4096 });
    expect(result).toMatchObject({ verdict: 'output_limit_exceeded', truncated: true });
    expect(driver.stdout()).toBe(result.stdout);
    expect(driver.stdout().length).toBe(4096);
  });

  it('does not deadlock when the program floods its output and never reads the stdin the client floods', async () => {
    const driver = liveDriver(true);
    const finished = run({ language: 'python', source: 'import sys\nwhile True: sys.stdout.write("x" * 1000)' }, driver.live, { outputBytes: 256 * 1024 });
    await driver.attached();
    for (let i = 0; i < 16; i++) driver.send({ stdin: Buffer.alloc(64 * 1024, 'y') });
    expect(await finished).toMatchObject({ verdict: 'output_limit_exceeded' });
  });

  it('finishes normally when the program closes its stdin while the client still writes to it', async () => {
    const driver = liveDriver(true);
    const finished = run({ language: 'python', source: 'import os, sys, time\nos.close(0)\nprint("closed", flush=True)\ntime.sleep(0.5)\nprint("done")' }, driver.live);
    await driver.stdoutHas('closed\n');
    for (let i = 0; i < 4; i++) driver.send({ stdin: Buffer.alloc(64 * 1024, 'y') });
    driver.send({ eof: true });
    expect(await finished).toMatchObject({ verdict: 'ok', stdout: 'closed\ndone\n' });
  });

  it("keeps init's open control and report pipes out of an interactive program's reach through /proc", async () => {
    const driver = liveDriver(true);
    const source = readFileSync(resolve(import.meta.dirname, '../fixtures/hostile/proc-snoop.py'), 'utf8');
    const result = await run({ language: 'python', source }, driver.live);
    expect(result.stdout).toMatch(/^visible \d+ reached none\n$/);
    expect(driver.stdout()).toBe(result.stdout);
  });

  it('still runs a plain job in the same container afterwards', async () => {
    const driver = liveDriver(false);
    await run({ language: 'python', source: 'print(1)' }, driver.live);
    const execute = poolExecutor({ [tier as IsolationTier]: pool });
    const plain = await execute({ input: { language: 'python', source: 'print(input())', stdin: 'plain', args: [], files: [] }, limits: DEFAULT_LIMITS, isolation: tier, tenantId: 'acme', aiEnabled: false, log: createLogger('t', 'silent') });
    expect(plain).toMatchObject({ verdict: 'ok', stdout: 'plain\n' });
  });
});
