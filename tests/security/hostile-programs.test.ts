/**
 * Hostile programs (tests/fixtures/hostile) against both isolation tiers. Each
 * must end with the right verdict, leave the Docker engine and the pool
 * healthy, and the next job must run normally.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LanguageId } from '../../core/languages.ts';
import type { JobLimits } from '../../core/contract.ts';
import type { WarmPool } from '../../worker/sandbox/warm-pool.ts';
import { assertGvisorRuntime, docker, runner, testPool, TIERS } from '../support/sandbox.ts';

const fixture = (name: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/hostile', name), 'utf8');
const languageOf: Record<string, LanguageId> = { py: 'python', sh: 'bash', c: 'c' };
const quick: Partial<JobLimits> = { wallTimeMs: 2_000, cpuTimeMs: 2_000 };

// Every tier, with one job per container (the default) and with opt-in reuse for one tenant.
const MATRIX = TIERS.flatMap((t) => [
  { ...t, reuseJobs: 0, mode: 'one job per container' },
  { ...t, reuseJobs: 5, mode: 'containers reused within a tenant' },
]);

describe.each(MATRIX)('hostile programs in the $tier tier, $mode', ({ tier, runtime, reuseJobs }) => {
  let pool: WarmPool;
  let run: ReturnType<typeof runner>;
  let runAsOtherTenant: ReturnType<typeof runner>;
  beforeAll(async () => {
    if (runtime === 'runsc') await assertGvisorRuntime();
    pool = testPool(2, { runtime, workerId: `security-${tier}-${reuseJobs}-${process.pid}`, workDirMb: 16 }, { reuseJobs });
    await pool.start();
    run = runner(pool, tier, 'acme');
    runAsOtherTenant = runner(pool, tier, 'globex');
  });
  afterAll(() => pool.close());

  const hostile = (name: string, limits: Partial<JobLimits> = quick, args: string[] = []) =>
    run({ language: languageOf[name.split('.').pop()!]!, source: fixture(name), args }, limits);

  /** The engine answers and a plain job right after runs normally. */
  async function expectHealthy() {
    await expect(docker.ping()).resolves.toBeTruthy();
    const next = await run({ language: 'python', source: 'print("still fine")' });
    expect(next).toMatchObject({ verdict: 'ok', stdout: 'still fine\n' });
  }

  it('contains a fork bomb', async () => {
    const result = await hostile('fork-bomb.sh', { ...quick, processes: 32 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });

  it('stops a memory bomb at the memory limit', async () => {
    const result = await hostile('memory-bomb.py', { ...quick, memoryMb: 128 });
    expect(result.verdict).toBe('memory_limit_exceeded');
    await expectHealthy();
  });

  it('cuts endless output at the output limit', async () => {
    const result = await hostile('endless-output.py', { ...quick, outputBytes: 64 * 1024 });
    expect(result).toMatchObject({ verdict: 'output_limit_exceeded', truncated: true });
    expect(result.stdout.length).toBe(64 * 1024);
    await expectHealthy();
  });

  it('stops an endless loop at the CPU limit', async () => {
    const result = await hostile('endless-loop.c', { wallTimeMs: 5_000, cpuTimeMs: 1_000 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });

  it('stops a program sleeping forever at the wall-time limit', async () => {
    const result = await hostile('sleep-forever.py', { wallTimeMs: 1_000 });
    expect(result).toMatchObject({ verdict: 'time_limit_exceeded', message: 'wall time exceeded 1000 ms' });
    await expectHealthy();
  });

  it('keeps a disk fill inside the work dir quota', async () => {
    const result = await hostile('disk-fill.py');
    expect(result.verdict).toBe('runtime_error');
    const written = Number(/stopped after (\d+) MB/.exec(result.stdout)?.[1]);
    expect(written).toBeLessThanOrEqual(16);
    await expectHealthy();
  });

  it('cannot reach a listener on the host or resolve a DNS name', async () => {
    const redisPort = new URL(inject('redisUrl')).port;
    const result = await hostile('connect-host.py', quick, [redisPort]);
    expect(result.verdict).toBe('ok');
    expect(result.stdout).not.toMatch(/connected|resolved/);
    expect(result.stdout).toMatch(/^tcp:\w+error dns:\w+error\n$/i);
  });

  it('does not let a later job, of the same or another tenant, see what a job left behind', async () => {
    const planted = await hostile('leave-behind.sh');
    expect(planted.stdout).toBe('planted\n');
    if (reuseJobs > 0) {
      // The planting job's container is cleaned and parked for the same tenant, who gets it next.
      const deadline = Date.now() + 10_000;
      while (pool.size.idleReused < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(pool.size.idleReused).toBeGreaterThanOrEqual(1);
    }
    const sameTenant = await hostile('look-for-leftovers.sh');
    const otherTenant = await runAsOtherTenant({ language: 'bash', source: fixture('look-for-leftovers.sh') }, quick);

    expect(sameTenant.stdout).toBe('found: nothing\n');
    expect(otherTenant.stdout).toBe('found: nothing\n');
  });

  it("cannot read the agent's environment or credentials", async () => {
    const result = await hostile('read-secrets.py');
    expect(result.stdout).toBe('leaks: none\n');
  });

  it('cannot gain privileges', async () => {
    const result = await hostile('escalate.py', { ...quick, wallTimeMs: 5_000 });
    expect(result.stdout).toBe(
      'uid 1000 caps 0000000000000000,0000000000000000 nnp 1 setuid-binaries 0 setuid0:denied setgid0:denied chroot:denied mount:denied\n',
    );
  });

  it("cannot read other processes' memory or write to their files through /proc", async () => {
    const result = await hostile('proc-snoop.py');
    const [, visible, reached] = /^visible (\d+) reached (.*)\n$/.exec(result.stdout) ?? [];
    expect(reached).toBe('none');
    expect(Number(visible)).toBeLessThan(10);
  });

  it('survives a zombie storm', async () => {
    const result = await hostile('zombie-storm.py', { wallTimeMs: 2_000, cpuTimeMs: 5_000 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });
});
