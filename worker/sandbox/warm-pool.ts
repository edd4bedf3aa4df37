/**
 * A pool of created-and-started sandbox containers, each with its supervisor
 * ready on an attached stream, so a job never waits for `docker create` +
 * `start` (~180 ms here). Each container serves one job and is then destroyed;
 * the pool refills in the background to its target size. A container whose
 * supervisor stream ends while idle (engine restart, external kill) is dropped
 * from the pool and replaced.
 */
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import type { Container } from 'dockerode';
import type { Logger } from '../../core/logger.ts';
import { MANAGED_LABEL, sandboxCreateOptions, type SandboxSpec } from './container-spec.ts';
import { SupervisorSession } from './supervisor-session.ts';

interface Ready {
  container: Container;
  session: SupervisorSession;
  startMs: number;
}

export interface Leased extends Ready {
  /** False when the pool was empty and the container was started for this job. */
  poolHit: boolean;
  startMs: number;
}

export class WarmPool {
  private readonly ready: Ready[] = [];
  private creating = 0;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private failures = 0;

  constructor(
    private readonly docker: Docker,
    private readonly sandbox: SandboxSpec,
    private targetSize: number,
    private readonly logger: Logger,
  ) {}

  get size(): { ready: number; creating: number; target: number } {
    return { ready: this.ready.length, creating: this.creating, target: this.targetSize };
  }

  get spec(): SandboxSpec {
    return this.sandbox;
  }

  /** Removes orphans of dead agents on this host, then fills the pool. */
  async start(): Promise<void> {
    await this.removeOrphans();
    this.refill();
  }

  /**
   * Takes a ready container, or starts one now when the pool is empty. With
   * `sized`, a job whose cgroup sizes differ from the pool's gets a container
   * started for it (for runtimes that cannot resize a running container).
   */
  async acquire(sized?: Pick<SandboxSpec, 'memoryMb' | 'pidsLimit'>): Promise<Leased> {
    if (this.closed) throw new Error('pool is closed');
    if (sized && (sized.memoryMb !== this.sandbox.memoryMb || sized.pidsLimit !== this.sandbox.pidsLimit)) {
      return { ...(await this.createStarted({ ...this.sandbox, ...sized })), poolHit: false };
    }
    let ready = this.ready.shift();
    while (ready && !ready.session.alive) {
      this.track(this.destroy(ready.container));
      ready = this.ready.shift();
    }
    this.refill();
    if (ready) return { ...ready, poolHit: true };
    const created = await this.createStarted();
    return { ...created, poolHit: false };
  }

  /** Destroys a used container (one job per container) in the background. */
  release(container: Container): void {
    this.track(this.destroy(container));
    this.refill();
  }

  setTargetSize(size: number): void {
    this.targetSize = size;
    this.refill();
  }

  /** Stops refilling and removes every container the pool holds. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.ready.splice(0);
    await Promise.allSettled([...idle.map((c) => this.destroy(c.container)), ...this.pending]);
  }

  private refill(): void {
    if (this.closed) return;
    while (this.ready.length + this.creating < this.targetSize) {
      this.creating++;
      this.track(
        this.createStarted()
          .then((created) => {
            this.failures = 0;
            if (this.closed) return this.destroy(created.container);
            this.ready.push(created);
          })
          .catch((err: unknown) => {
            this.failures++;
            this.logger.error({ err, failures: this.failures }, 'warm pool: container start failed');
          })
          .finally(() => {
            this.creating--;
            // Back off while the engine is failing, instead of spinning on it.
            if (this.failures > 0) setTimeout(() => this.refill(), Math.min(100 * 2 ** this.failures, 10_000)).unref();
            else this.refill();
          }),
      );
      if (this.failures > 0) break;
    }
  }

  private async createStarted(spec: SandboxSpec = this.sandbox): Promise<Ready> {
    const started = performance.now();
    const container = await this.docker.createContainer(sandboxCreateOptions(spec));
    try {
      const session = await SupervisorSession.attach(container);
      const ready = session.ready();
      await container.start();
      await ready;
      return { container, session, startMs: Math.round(performance.now() - started) };
    } catch (error) {
      await this.destroy(container);
      throw error;
    }
  }

  private async destroy(container: Container): Promise<void> {
    await container.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) this.logger.warn({ err, container: container.id }, 'remove failed');
    });
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  /** Containers labelled by an agent on this host whose process is gone. */
  private async removeOrphans(): Promise<void> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } });
    const orphans = containers.filter((c) => {
      if (c.Labels['io.runplane.host'] !== hostname()) return false;
      const pid = Number(c.Labels['io.runplane.pid']);
      return pid !== process.pid && !isAlive(pid);
    });
    await Promise.all(orphans.map((c) => this.destroy(this.docker.getContainer(c.Id))));
    if (orphans.length > 0) this.logger.info({ removed: orphans.length }, 'removed orphaned sandbox containers');
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
