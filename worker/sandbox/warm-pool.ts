/**
 * A pool of created-and-started sandbox containers, each with its supervisor
 * ready on an attached stream, so a job never waits for `docker create` +
 * `start` (~180 ms here). Each container serves one job and is then destroyed;
 * the pool refills in the background to its target size. A container whose
 * supervisor stream ends while idle (engine restart, external kill) is dropped
 * from the pool and replaced.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AiSocket } from '../ai/gateway.ts';
import type Docker from 'dockerode';
import type { Container } from 'dockerode';
import type { Logger } from '../../core/logger.ts';
import { MANAGED_LABEL, sandboxCreateOptions, type SandboxSpec } from './container-spec.ts';
import { SupervisorSession } from './supervisor-session.ts';

interface Ready {
  container: Container;
  session: SupervisorSession;
  /** The container's AI gateway socket, when the worker offers AI. */
  ai?: AiSocket;
  startMs: number;
  /** Jobs this container has served (reuse mode). */
  uses: number;
}

export interface PoolOptions {
  /**
   * 0 (default): one job per container, then it is destroyed. N > 0: opt-in
   * reuse: a container serves up to N jobs of ONE tenant, and between two jobs
   * its supervisor kills every leftover process and wipes files and IPC; a
   * container that does not come back clean is destroyed.
   */
  reuseJobs?: number;
  /** Opens a per-container AI gateway socket (runc tier); absent: no AI in these sandboxes. */
  openAiSocket?: (name: string) => Promise<AiSocket>;
}

export interface ReleaseOptions {
  tenantId?: string;
  /** False when the job changed the container (e.g. resized cgroup): never reuse it. */
  reusable?: boolean;
}

export interface Leased extends Ready {
  /** False when the pool was empty and the container was started for this job. */
  poolHit: boolean;
  startMs: number;
}

export class WarmPool {
  private readonly ready: Ready[] = [];
  /** Reuse mode: cleaned containers waiting for another job of the tenant that used them. */
  private readonly idleByTenant = new Map<string, Ready[]>();
  private readonly reuseJobs: number;
  private readonly openAiSocket?: (name: string) => Promise<AiSocket>;
  private readonly aiSockets = new Map<string, AiSocket>();
  private creating = 0;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  private failures = 0;

  constructor(
    private readonly docker: Docker,
    private readonly sandbox: SandboxSpec,
    private targetSize: number,
    private readonly logger: Logger,
    options: PoolOptions = {},
  ) {
    this.reuseJobs = options.reuseJobs ?? 0;
    if (options.openAiSocket) this.openAiSocket = options.openAiSocket;
  }

  get size(): { ready: number; creating: number; target: number; idleReused: number } {
    const idleReused = [...this.idleByTenant.values()].reduce((n, l) => n + l.length, 0);
    return { ready: this.ready.length, creating: this.creating, target: this.targetSize, idleReused };
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
  async acquire(sized?: Pick<SandboxSpec, 'memoryMb' | 'pidsLimit'>, tenantId?: string): Promise<Leased> {
    if (this.closed) throw new Error('pool is closed');
    if (sized && (sized.memoryMb !== this.sandbox.memoryMb || sized.pidsLimit !== this.sandbox.pidsLimit)) {
      return { ...(await this.createStarted({ ...this.sandbox, ...sized })), poolHit: false };
    }
    const reused = tenantId !== undefined ? this.takeIdle(tenantId) : undefined;
    if (reused) return { ...reused, poolHit: true };
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

  /**
   * Gives a used container back: destroyed in the background (the default), or
   * in reuse mode cleaned and kept for the same tenant's next job.
   */
  release(leased: Leased, options: ReleaseOptions = {}): void {
    const uses = leased.uses + 1;
    const { tenantId, reusable = true } = options;
    if (this.reuseJobs > 0 && tenantId !== undefined && reusable && uses < this.reuseJobs && !this.closed && leased.session.alive) {
      this.track(
        leased.session
          .cleanup()
          .then((clean) => {
            if (!clean || this.closed) return this.destroy(leased.container);
            this.keepIdle(tenantId, { container: leased.container, session: leased.session, ...(leased.ai ? { ai: leased.ai } : {}), startMs: leased.startMs, uses });
          })
          .catch(() => this.destroy(leased.container)),
      );
      return;
    }
    this.track(this.destroy(leased.container));
    this.refill();
  }

  private takeIdle(tenantId: string): Ready | undefined {
    const list = this.idleByTenant.get(tenantId);
    while (list?.length) {
      const candidate = list.pop()!;
      if (candidate.session.alive) return candidate;
      this.track(this.destroy(candidate.container));
    }
    return undefined;
  }

  /** Keeps at most `targetSize` (at least 2) cleaned containers across tenants; the oldest go first. */
  private keepIdle(tenantId: string, ready: Ready): void {
    const list = this.idleByTenant.get(tenantId) ?? [];
    list.push(ready);
    this.idleByTenant.set(tenantId, list);
    let total = [...this.idleByTenant.values()].reduce((n, l) => n + l.length, 0);
    const cap = Math.max(2, this.targetSize);
    for (const [tenant, entries] of this.idleByTenant) {
      while (total > cap && entries.length > 0) {
        this.track(this.destroy(entries.shift()!.container));
        total--;
      }
      if (entries.length === 0) this.idleByTenant.delete(tenant);
    }
  }

  setTargetSize(size: number): void {
    this.targetSize = size;
    this.refill();
  }

  /** Stops refilling and removes every container the pool holds. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    const idle = [...this.ready.splice(0), ...[...this.idleByTenant.values()].flat()];
    this.idleByTenant.clear();
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
    const ai = this.openAiSocket ? await this.openAiSocket(randomBytes(8).toString('hex')) : undefined;
    let container: Container;
    try {
      container = await this.docker.createContainer(sandboxCreateOptions(spec, ai ? { aiSocketDir: ai.hostDir } : {}));
    } catch (error) {
      await ai?.close();
      throw error;
    }
    if (ai) this.aiSockets.set(container.id, ai);
    try {
      const session = await SupervisorSession.attach(container);
      const ready = session.ready();
      await container.start();
      await ready;
      return { container, session, ...(ai ? { ai } : {}), startMs: Math.round(performance.now() - started), uses: 0 };
    } catch (error) {
      await this.destroy(container);
      throw error;
    }
  }

  private async destroy(container: Container): Promise<void> {
    await container.remove({ force: true, v: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404 && err.statusCode !== 409) this.logger.warn({ err, container: container.id }, 'remove failed');
    });
    const ai = this.aiSockets.get(container.id);
    if (ai) {
      this.aiSockets.delete(container.id);
      await ai.close().catch(() => undefined);
    }
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
