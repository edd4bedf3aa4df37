/**
 * The hostile suite again in Go, a compiled language of the trixie set: a
 * static binary makes its system calls itself, with no libc (and none of
 * libc's fallbacks) between it and the kernel, and brings its own DNS
 * resolver. Same verdicts and the same refusals as the Python and C programs
 * in hostile-programs.test.ts, in both tiers, in one container per tier, each
 * program followed by a normal job.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobLimits } from '../../core/contract.ts';
import { docker, tierSandbox, TIERS } from '../support/sandbox.ts';

const fixture = (name: string) => readFileSync(resolve(import.meta.dirname, '../fixtures/hostile/go', name), 'utf8');
/** Go compiles in about a second here; room for a machine several times slower, and gVisor. */
const generous: Partial<JobLimits> = { wallTimeMs: 15_000, cpuTimeMs: 15_000 };
const TEST_MS = 120_000;

describe.each(TIERS)('hostile Go programs in the $tier tier', (t) => {
  const { tier, runtime } = t;
  const { run } = tierSandbox(t, 'security-go');
  // The first lease can beat the pool's own start: one job first, so the tests see the pool's container.
  beforeAll(() => run({ language: 'python', source: 'pass' }));

  const hostile = (name: string, limits: Partial<JobLimits> = generous, args: string[] = []) => run({ language: 'go', source: fixture(name), args }, limits);

  async function expectHealthy() {
    await expect(docker.ping()).resolves.toBeTruthy();
    const next = await run({ language: 'go', source: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("still fine") }\n' });
    expect(next).toMatchObject({ verdict: 'ok', stdout: 'still fine\n' });
  }

  it('cannot create namespaces, mount, or use the other system calls the supervisor needs, with raw system calls', async () => {
    const result = await hostile('namespace-escape.go');
    const attempts = result.stdout.trim().split(' ');
    expect(attempts.length, result.stderr || result.compile?.stderr).toBe(20);
    expect(attempts.filter((a) => !a.endsWith(':EPERM'))).toEqual([]);
  }, TEST_MS);

  it('cannot gain privileges', async () => {
    const result = await hostile('escalate.go');
    const [, uid, rest] = /^uid (\d+) (.*)\n$/.exec(result.stdout) ?? [];
    expect(Number(uid), result.stderr).toBeGreaterThanOrEqual(1_000_000);
    expect(rest).toBe('caps 0000000000000000,0000000000000000 nnp 1 setuid0:denied setgid0:denied chroot:denied mount:denied');
  }, TEST_MS);

  it('cannot reach a listener on the host or resolve a name with its own resolver', async () => {
    const redisPort = new URL(inject('redisUrl')).port;
    const result = await hostile('connect-host.go', generous, [redisPort]);
    expect(result).toMatchObject({ verdict: 'ok', stdout: 'tcp:refused dns:failed\n' });
  }, TEST_MS);

  it('contains a fork bomb', async () => {
    // The bomb never ends by itself: the wall limit ends it, unless a copy of the Go runtime
    // that cannot get a thread crashes first. Memory with room for 32 Go runtimes (~8 MB each),
    // so that the process limit is what holds it (with 256 MB, gVisor's sandbox ran out of memory first).
    const limits = { wallTimeMs: 2_000, cpuTimeMs: 2_000, processes: 32, memoryMb: 512 };
    const result = await hostile('fork-bomb.go', limits);
    if (runtime === 'runc') {
      expect(['time_limit_exceeded', 'runtime_error']).toContain(result.verdict);
    } else {
      // Under gVisor (ptrace platform) every Go thread of every copy needs a host thread in the
      // sandbox's pids cgroup: on a busy machine the bomb sometimes brings down gVisor's kernel,
      // and with it the sandbox. That is the program's verdict too, never a retry.
      expect(['time_limit_exceeded', 'runtime_error', 'memory_limit_exceeded']).toContain(result.verdict);
      if (result.verdict === 'runtime_error' && result.exitCode === null) expect(result.message ?? '').toMatch(/exhausted the gVisor sandbox's kernel|killed by/);
    }
    await expectHealthy();
  }, TEST_MS);

  it('stops a memory bomb at the memory limit', async () => {
    const result = await hostile('memory-bomb.go', { ...generous, memoryMb: 128 });
    expect(result.verdict).toBe('memory_limit_exceeded');
    await expectHealthy();
  }, TEST_MS);
});
