/**
 * A pool of created-and-started sandbox containers, each with its supervisor
 * ready on an attached stream, so a job never waits for `docker create` +
 * `start` (~180 ms here). A container serves one job at a time, each in fresh
 * namespaces (supervisor/namespaces.py), so it goes back to the pool after a
 * job, whatever the tenant, and serves up to `maxJobsPerContainer` jobs before
 * it is replaced. A container whose supervisor stream ends while idle (engine
 * restart, external kill) is dropped from the pool and replaced.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AiSocket } from '../ai/gateway.ts';
import type Docker from 'dockerode';
import type { Container } from 'dockerode';
import type { Logger } from '../../core/logger.ts';
import { drawJobUid, MANAGED_LABEL, POOL_LABEL, sandboxCreateOptions, type SandboxSpec } from './container-spec.ts';
import { SupervisorSession } from './supervisor-session.ts';

interface Ready {
  container: Container;
  session: SupervisorSession;
  /** The container's AI gateway socket, when the worker offers AI. */
  ai?: AiSocket;
  startMs: number;
  /** Jobs this container has served. */
  uses: number;
}

export interface PoolOptions {
  /** Jobs a container serves before it is replaced (default 1000): bounds what a long life could accumulate in the supervisor. */
  maxJobsPerContainer?: number;
  /** Opens a per-container AI gateway socket (runc tier); absent: no AI in these sandboxes. */
  openAiSocket?: (name: string) => Promise<AiSocket>;
}

export interface ReleaseOptions {
  /** False when the job changed the container (e.g. resized cgroup) or it failed: never serve another job. */
  reusable?: boolean;
}

export interface Leased extends Ready {
  /** False when the pool was empty and the container was started for this job. */
  poolHit: boolean;
  /** False for a container started for one job's own cgroup sizes: destroyed after it. */
  pooled: boolean;
  startMs: number;
}

export class WarmPool {
  /** Idle containers; the most recently used is taken first (its pages are warm). */
  private readonly ready: Ready[] = [];
  private readonly maxJobsPerContainer: number;
  private readonly openAiSocket?: (name: string) => Promise<AiSocket>;
  private readonly aiSockets = new Map<string, AiSocket>();
  private creating = 0;
  /** Pool containers out on a job; they come back unless spent (the pool's size counts them). */
  private leased = 0;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();
  /** Ids of containers to remove once the engine can (see destroy). */
  private readonly unremoved = new Set<string>();
  private failures = 0;
  /** Labels every container this pool creates, so close() finds even one whose creation it never heard back from. */
  private readonly poolId = randomBytes(8).toString('hex');

  constructor(
    private readonly docker: Docker,
    private readonly sandbox: SandboxSpec,
    private targetSize: number,
    private readonly logger: Logger,
    options: PoolOptions = {},
  ) {
    this.maxJobsPerContainer = options.maxJobsPerContainer ?? 1000;
    if (options.openAiSocket) this.openAiSocket = options.openAiSocket;
  }

  get size(): { ready: number; creating: number; leased: number; target: number } {
    return { ready: this.ready.length, creating: this.creating, leased: this.leased, target: this.targetSize };
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
      return { ...(await this.tracked(this.createStarted({ ...this.sandbox, ...sized }))), poolHit: false, pooled: false };
    }
    let ready = this.ready.pop();
    while (ready && !ready.session.alive) {
      this.track(this.destroy(ready.container));
      ready = this.ready.pop();
    }
    this.leased++;
    try {
      if (ready) return { ...ready, poolHit: true, pooled: true };
      return { ...(await this.tracked(this.createStarted())), poolHit: false, pooled: true };
    } catch (error) {
      this.leased--;
      throw error;
    } finally {
      this.refill();
    }
  }

  /**
   * Gives a container back after a job: to the pool, since the job's namespaces
   * died with it, unless it is spent, broken or was changed for the job; then it
   * is destroyed in the background and the pool refills.
   */
  release(leased: Leased, options: ReleaseOptions = {}): void {
    if (leased.pooled) this.leased--;
    const uses = leased.uses + 1;
    const keep = leased.pooled && options.reusable !== false && uses < this.maxJobsPerContainer && leased.session.alive && !this.closed;
    if (keep && this.ready.length + this.creating + this.leased < this.targetSize) {
      this.ready.push({ container: leased.container, session: leased.session, ...(leased.ai ? { ai: leased.ai } : {}), startMs: leased.startMs, uses });
      return;
    }
    this.track(this.destroy(leased.container));
    this.refill();
  }

  setTargetSize(size: number): void {
    this.targetSize = size;
    this.refill();
  }

  /**
   * Stops refilling and removes every container the pool holds. Safe to call twice.
   * Then every container labelled with this pool goes too: when the engine restarts
   * while a container is being created, the engine may create it but the answer never
   * arrive, and only the label finds it (a `created` container was left so in a fault test).
   */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.ready.splice(0);
    await Promise.allSettled([...idle.map((c) => this.destroy(c.container)), ...this.pending]);
    // The label finds the leftovers whose removal failed too; if the engine cannot list, those at least.
    const left = await this.docker.listContainers({ all: true, filters: { label: [`${POOL_LABEL}=${this.poolId}`] } })
      .then((found) => found.map((c) => c.Id), () => [...this.unremoved]);
    await Promise.allSettled(left.map((id) => this.destroy(this.docker.getContainer(id))));
  }

  /** Containers whose removal failed while the engine was away (created, killed or half-started). */
  private async removeLeftovers(): Promise<void> {
    await Promise.allSettled([...this.unremoved].map((id) => this.destroy(this.docker.getContainer(id))));
  }

  private refill(): void {
    if (this.closed) return;
    while (this.ready.length + this.creating + this.leased < this.targetSize) {
      this.creating++;
      this.track(
        this.createStarted()
          .then((created) => {
            // The engine answers again: what it could not remove before goes now.
            if (this.failures > 0 || this.unremoved.size > 0) this.track(this.removeLeftovers());
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
      container = await this.docker.createContainer(sandboxCreateOptions(spec, { jobUid: drawJobUid(), poolId: this.poolId, ...(ai ? { aiSocketDir: ai.hostDir } : {}) }));
    } catch (error) {
      await ai?.close();
      throw error;
    }
    if (ai) this.aiSockets.set(container.id, ai);
    try {
      const session = await SupervisorSession.attach(container);
      const ready = session.ready();
      ready.catch(() => undefined); // awaited below; if start() throws first, its rejection must not go unhandled
      await container.start();
      await ready;
      return { container, session, ...(ai ? { ai } : {}), startMs: Math.round(performance.now() - started), uses: 0 };
    } catch (error) {
      await this.destroy(container);
      throw error;
    }
  }

  private async destroy(container: Container): Promise<void> {
    await container.remove({ force: true, v: true }).then(
      () => this.unremoved.delete(container.id),
      (err: { statusCode?: number }) => {
        if (err.statusCode === 404) return this.unremoved.delete(container.id);
        if (err.statusCode === 409) return; // removal already under way
        // The engine is down or restarting: remove it when the engine answers again.
        this.unremoved.add(container.id);
        this.logger.warn({ err, container: container.id }, 'remove failed; will retry');
      },
    );
    const ai = this.aiSockets.get(container.id);
    if (ai) {
      this.aiSockets.delete(container.id);
      await ai.close().catch(() => undefined);
    }
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => undefined);
  }

  /** `promise`, which close() also waits for (a container a job is getting as the pool closes). */
  private tracked<T>(promise: Promise<T>): Promise<T> {
    this.track(promise);
    return promise;
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
