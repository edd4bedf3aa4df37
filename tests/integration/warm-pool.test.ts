import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sandboxCreateOptions } from '../../worker/sandbox-host/container-spec.ts';
import { containersOf, docker, runner, sandboxSpec, testPool } from '../support/sandbox.ts';
import { createLogger } from '../../core/logger.ts';
import { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';

async function until(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}

describe('the warm pool', () => {
  it('fills to its target size with running containers', async () => {
    const pool = testPool(2, { workerId: 'pool-fill' });
    await pool.start();
    await until(async () => pool.size.ready === 2);

    const running = (await containersOf('pool-fill')).filter((c) => c.State === 'running');
    expect(running).toHaveLength(2);
    await pool.close();
  });

  it('hands out a ready container and takes it back for the next job, of any tenant', async () => {
    const pool = testPool(1, { workerId: 'pool-cycle' });
    await pool.start();
    await until(async () => pool.size.ready === 1);

    const first = await pool.acquire();
    expect(first.poolHit).toBe(true);
    expect(pool.size).toMatchObject({ ready: 0, leased: 1, creating: 0 });
    pool.release(first);
    const second = await pool.acquire();

    expect(second.container.id).toBe(first.container.id);
    expect(second.uses).toBe(1);
    pool.release(second);
    expect(await containersOf('pool-cycle')).toHaveLength(1);
    await pool.close();
  });

  it('removes at close a container the engine created but whose answer never came (an engine restart)', async () => {
    const workerId = `pool-lost-${process.pid}`;
    // The engine creates the first container, but the answer is lost on the way, as when dockerd
    // restarts mid-request: the pool never learns that container's id.
    let calls = 0;
    const lossy = Object.create(docker) as typeof docker;
    lossy.createContainer = async (options) => {
      const created = await docker.createContainer(options);
      if (calls++ === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return created;
    };
    const pool = new WarmPool(lossy, sandboxSpec({ workerId }), 1, createLogger('test-pool', 'silent'));
    await pool.start();
    await until(async () => pool.size.ready === 1);
    expect((await containersOf(workerId)).map((c) => c.State).sort()).toEqual(['created', 'running']);

    await pool.close();

    expect(await containersOf(workerId)).toEqual([]);
  });

  it('starts a container on demand when empty, and says so', async () => {
    const pool = testPool(0, { workerId: 'pool-miss' });
    await pool.start();

    const leased = await pool.acquire();
    expect(leased.poolHit).toBe(false);
    pool.release(leased);
    await pool.close();
  });

  it('replaces a container after its maximum number of jobs', async () => {
    const pool = testPool(1, { workerId: 'pool-retire' }, { maxJobsPerContainer: 2 });
    await pool.start();
    await until(async () => pool.size.ready === 1);
    const first = await pool.acquire();
    pool.release(first);
    const second = await pool.acquire();
    expect(second.container.id).toBe(first.container.id);

    pool.release(second);

    await until(async () => pool.size.ready === 1 && (await containersOf('pool-retire')).every((c) => c.Id !== first.container.id));
    await pool.close();
  });

  it('destroys a container that a job changed, and refills', async () => {
    const pool = testPool(1, { workerId: 'pool-changed' });
    await pool.start();
    await until(async () => pool.size.ready === 1);
    const leased = await pool.acquire();

    pool.release(leased, { reusable: false });

    await until(async () => pool.size.ready === 1 && (await containersOf('pool-changed')).every((c) => c.Id !== leased.container.id));
    await pool.close();
  });

  it('gives each container a job uid of its own', async () => {
    const pool = testPool(3, { workerId: 'pool-uids' });
    await pool.start();
    await until(async () => pool.size.ready === 3);

    const uids = (await containersOf('pool-uids')).map((c) => Number(c.Labels['io.runplane.uid']));

    expect(new Set(uids).size).toBe(3);
    for (const uid of uids) expect(uid).toBeGreaterThanOrEqual(1_000_000);
    await pool.close();
  });

  it('replaces a pooled container that died while idle, and the next job still runs', async () => {
    const pool = testPool(1, { workerId: 'pool-dead' });
    await pool.start();
    await until(async () => pool.size.ready === 1);
    const [victim] = await containersOf('pool-dead');
    await docker.getContainer(victim!.Id).kill();

    const result = await runner(pool, 'standard')({ language: 'python', source: 'print("after the crash")' });

    expect(result).toMatchObject({ verdict: 'ok', stdout: 'after the crash\n' });
    await until(async () => pool.size.ready === 1);
    await pool.close();
  });

  it('removes every container on close, and close can be called twice', async () => {
    const pool = testPool(2, { workerId: 'pool-close' });
    await pool.start();
    await until(async () => pool.size.ready === 2);

    await Promise.all([pool.close(), pool.close()]);
    expect(await containersOf('pool-close')).toHaveLength(0);
  });

  it('removes containers left behind by a dead agent on this host', async () => {
    // A container labelled with the pid of a process that has exited.
    const deadPid = spawnSync('true').pid!;
    const spec = sandboxSpec({ workerId: 'pool-orphan' });
    const options = sandboxCreateOptions(spec, { jobUid: 1_000_001 });
    options.Labels = { ...options.Labels, 'io.runplane.pid': String(deadPid) };
    await docker.createContainer(options);
    expect(await containersOf('pool-orphan')).toHaveLength(1);

    const pool = testPool(0, { workerId: 'pool-new' });
    await pool.start();

    expect(await containersOf('pool-orphan')).toHaveLength(0);
    await pool.close();
  });
});
