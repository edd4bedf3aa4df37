/**
 * Hostile programs (tests/fixtures/hostile) against both isolation tiers. Each
 * must end with the right verdict, leave the Docker engine and the pool
 * healthy, and the next job must run normally. Containers serve job after job
 * (each in fresh namespaces), so every program here runs in a container that
 * ran others before it, and the next tenant's job runs in the same one.
 *
 * Limits are sized from what each program needs, not from this machine's
 * speed: where the point is not time, the wall limit is generous.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LanguageId } from '../../core/languages.ts';
import type { JobLimits } from '../../core/contract.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { assertGvisorRuntime, docker, runner, testPool, TIERS } from '../support/sandbox.ts';

const fixture = (name: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/hostile', name), 'utf8');
const languageOf: Record<string, LanguageId> = { py: 'python', sh: 'bash', c: 'c' };
/** For programs that end by themselves or hit a non-time limit: room for a machine 5x slower than ours. */
const generous: Partial<JobLimits> = { wallTimeMs: 15_000, cpuTimeMs: 15_000 };

describe.each(TIERS)('hostile programs in the $tier tier', ({ tier, runtime }) => {
  let pool: WarmPool;
  let run: ReturnType<typeof runner>;
  let runAsOtherTenant: ReturnType<typeof runner>;
  beforeAll(async () => {
    if (runtime === 'runsc') await assertGvisorRuntime();
    // One container: every job below runs in the container the previous one used.
    pool = testPool(1, { runtime, workerId: `security-${tier}-${process.pid}`, workDirMb: 16 });
    await pool.start();
    run = runner(pool, tier, 'acme');
    runAsOtherTenant = runner(pool, tier, 'globex');
    // The first lease can beat the pool's own start (a container made on demand, then
    // dropped): one job first, so every test below sees the container the pool keeps.
    await run({ language: 'python', source: 'pass' });
  });
  afterAll(() => pool.close());

  const hostile = (name: string, limits: Partial<JobLimits> = generous, args: string[] = []) =>
    run({ language: languageOf[name.split('.').pop()!]!, source: fixture(name), args }, limits);

  /** The engine answers and a plain job right after runs normally. */
  async function expectHealthy() {
    await expect(docker.ping()).resolves.toBeTruthy();
    const next = await run({ language: 'python', source: 'print("still fine")' });
    expect(next).toMatchObject({ verdict: 'ok', stdout: 'still fine\n' });
  }

  it('contains a fork bomb', async () => {
    // The wall limit is the point here: the bomb never ends by itself.
    const result = await hostile('fork-bomb.sh', { wallTimeMs: 2_000, cpuTimeMs: 2_000, processes: 32 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });

  it('stops a memory bomb at the memory limit', async () => {
    const result = await hostile('memory-bomb.py', { ...generous, memoryMb: 128 });
    expect(result.verdict).toBe('memory_limit_exceeded');
    await expectHealthy();
  });

  it('cuts endless output at the output limit', async () => {
    const result = await hostile('endless-output.py', { ...generous, outputBytes: 64 * 1024 });
    expect(result).toMatchObject({ verdict: 'output_limit_exceeded', truncated: true });
    expect(result.stdout.length).toBe(64 * 1024);
    await expectHealthy();
  });

  it('stops an endless loop at the CPU limit', async () => {
    const result = await hostile('endless-loop.c', { wallTimeMs: 15_000, cpuTimeMs: 1_000 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });

  it('stops a program sleeping forever at the wall-time limit', async () => {
    const result = await hostile('sleep-forever.py', { wallTimeMs: 1_000 });
    expect(result).toMatchObject({ verdict: 'time_limit_exceeded', message: 'wall time exceeded 1000 ms' });
    await expectHealthy();
  });

  it('kills setsid children at the wall-time limit, counts their CPU time, and leaves nothing for the next job', async () => {
    // CPU limit well above the wall limit: only the wall limit can end this job.
    const result = await hostile('setsid-burner.py', { wallTimeMs: 2_000, cpuTimeMs: 15_000 });
    expect(result).toMatchObject({ verdict: 'time_limit_exceeded', message: 'wall time exceeded 2000 ms' });
    // The program itself sleeps; CPU time this large is the setsid children's.
    expect(result.cpuTimeMs).toBeGreaterThan(500);
    const next = await run({ language: 'python', source: fixture('look-for-leftovers.py') });
    expect(next.containerId).toBe(result.containerId);
    expect(next.stdout).toBe('found: nothing\n');
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
    const result = await hostile('connect-host.py', generous, [redisPort]);
    expect(result.verdict).toBe('ok');
    expect(result.stdout).not.toMatch(/connected|resolved/);
    expect(result.stdout).toMatch(/^tcp:\w+error dns:\w+error\n$/i);
  });

  it("does not let the next tenant's job in the same container see anything a job left, anywhere", async () => {
    const planted = await run({ language: 'python', source: fixture('plant-everywhere.py') }, generous, 'acme');
    // Files in the work dir, /tmp, /dev/shm and $HOME (= the work dir); a POSIX queue (gVisor
    // has no /dev/mqueue); SysV shm, msg, sem; an abstract unix socket, a loopback listener and
    // the setsid daemon holding them.
    const mqueue = runtime === 'runc' ? ' mqueue' : '';
    expect(planted).toMatchObject({ verdict: 'ok', stdout: `planted /work /tmp /dev/shm /work${mqueue} shm msg sem abstract-socket tcp-listener daemon\n` });

    const sameTenant = await run({ language: 'python', source: fixture('look-for-leftovers.py') }, generous, 'acme');
    const otherTenant = await runAsOtherTenant({ language: 'python', source: fixture('look-for-leftovers.py') }, generous);

    expect(new Set([planted.containerId, sameTenant.containerId, otherTenant.containerId]).size).toBe(1);
    expect(sameTenant.stdout).toBe('found: nothing\n');
    expect(otherTenant.stdout).toBe('found: nothing\n');
  });

  it('cannot create namespaces, mount, or use the other system calls the supervisor needs', async () => {
    const result = await hostile('namespace-escape.py');
    const attempts = result.stdout.trim().split(' ');
    expect(attempts.length).toBe(20);
    expect(attempts.filter((a) => !a.endsWith(':EPERM'))).toEqual([]);
  });

  it("cannot read the agent's environment or credentials", async () => {
    const result = await hostile('read-secrets.py');
    expect(result.stdout).toBe('leaks: none\n');
  });

  it('cannot gain privileges', async () => {
    // `find / -xdev` is slow under gVisor's file system: a limit with room for it.
    const result = await hostile('escalate.py', { wallTimeMs: 20_000, cpuTimeMs: 20_000 });
    const [, uid, rest] = /^uid (\d+) (.*)\n$/.exec(result.stdout) ?? [];
    expect(Number(uid)).toBeGreaterThanOrEqual(1_000_000); // the container's own job uid
    expect(rest).toBe('caps 0000000000000000,0000000000000000 nnp 1 setuid-binaries 0 setuid0:denied setgid0:denied chroot:denied mount:denied');
  });

  it("cannot read other processes' memory or write to their files through /proc", async () => {
    const result = await hostile('proc-snoop.py');
    const [, visible, reached] = /^visible (\d+) reached (.*)\n$/.exec(result.stdout) ?? [];
    expect(reached).toBe('none');
    expect(Number(visible)).toBeLessThan(10);
  });

  it('survives a zombie storm', async () => {
    const result = await hostile('zombie-storm.py', { wallTimeMs: 2_000, cpuTimeMs: 15_000 });
    expect(result.verdict).toBe('time_limit_exceeded');
    await expectHealthy();
  });
});
