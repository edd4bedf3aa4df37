/**
 * Warm pools for the toolchain images (core/languages.ts TOOLCHAINS: the JDK,
 * Rust, GHC, OCaml, each the base image plus one heavy toolchain), one pool
 * per tier and image, sized by demand rather than kept full on every host:
 * a pool is made on its first job, keeps `warmSize` containers ready while
 * its image had a job within `idleMs`, and is closed (no containers at all)
 * after that. A rare language then costs no memory while unused, and its
 * first job after a quiet spell pays one container start. Idle containers of
 * any image cost about the same (the supervisor; see docs/languages.md), so
 * the base pool, which serves most languages, is the one the auto-tuner sizes.
 *
 * A host without a toolchain's image either refuses its jobs (ToolchainMissingError;
 * workers in AWS build every image when they boot) or, given `buildImage` (the
 * local stack: a checkout, as root), builds it on the first job that needs it,
 * once, while that job (and any other job for it) waits: about a minute.
 */
import type Docker from 'dockerode';
import type { IsolationTier } from '../../core/contract.ts';
import type { Toolchain } from '../../core/languages.ts';
import type { Logger } from '../../core/logger.ts';
import { UnrecoverableError } from '../errors.ts';
import type { SandboxSpec } from './container-spec.ts';
import { WarmPool, type PoolOptions } from './warm-pool.ts';

/** A toolchain image's tag: the base image's tag with `-<toolchain>` (scripts/sandbox-image-tag.sh). */
export function toolchainImage(baseImage: string, toolchain: Toolchain): string {
  return `${baseImage}-${toolchain}`;
}

/** This host has no image for the toolchain: the job cannot run here, and retrying will not help. */
export class ToolchainMissingError extends UnrecoverableError {
  override name = 'ToolchainMissingError';
}

export interface ToolchainPoolOptions {
  /** Containers kept ready per pool while its image is in use. */
  warmSize: number;
  /** Without a job for this long, a pool is closed. */
  idleMs: number;
  /** The pool options per tier (the AI socket for runc, as the base pools have). */
  poolOptions?: Partial<Record<IsolationTier, PoolOptions>>;
  /** Builds a missing toolchain image (absent: such jobs fail at once). */
  buildImage?: (toolchain: Toolchain) => Promise<void>;
}

interface Entry {
  pool: Promise<WarmPool>;
  lastUse: number;
}

export class ToolchainPools {
  private readonly entries = new Map<string, Entry>();
  /** The pools made and not yet closed, by `tier/toolchain`. */
  private readonly open = new Map<string, WarmPool>();
  /** Image builds under way: every job that needs the image waits for the one build. */
  private readonly builds = new Map<Toolchain, Promise<void>>();
  /**
   * The one-use pools (`once`), closed after their use and closed again with the rest: a container
   * the engine could not remove then (it was restarting) is removed when everything closes.
   */
  private readonly usedOnce = new Set<WarmPool>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly docker: Docker,
    /** The base pools' specs by tier; a tier absent here has no toolchain pools either. */
    private readonly baseSpecs: () => Partial<Record<IsolationTier, SandboxSpec>>,
    private readonly logger: Logger,
    private readonly options: ToolchainPoolOptions,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.max(1000, Math.floor(options.idleMs / 4)));
    this.sweeper.unref();
  }

  /** The pool for a tier and toolchain, made (and its image checked) on first use. */
  async get(tier: IsolationTier, toolchain: Toolchain): Promise<WarmPool> {
    if (this.closed) throw new Error('toolchain pools are closed');
    const key = `${tier}/${toolchain}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { pool: this.openPool(key, tier, toolchain), lastUse: Date.now() };
      this.entries.set(key, entry);
      entry.pool.catch(() => this.entries.delete(key)); // a missing image is checked again next time
    }
    entry.lastUse = Date.now();
    return entry.pool;
  }

  /**
   * A one-container pool of the toolchain's image (standard tier) for one use, closed after it:
   * the version probe, which must not leave a pool open (warm containers for `idleMs`) on every host.
   */
  async once<T>(toolchain: Toolchain, use: (pool: WarmPool) => Promise<T>): Promise<T> {
    const base = this.baseSpecs().standard;
    if (!base || this.closed) throw new ToolchainMissingError(`no standard tier for the ${toolchain} toolchain`);
    const pool = new WarmPool(this.docker, { ...base, image: toolchainImage(base.image, toolchain) }, 1, this.logger.child({ component: 'pool', toolchain, purpose: 'probe' }), this.options.poolOptions?.standard ?? {});
    this.usedOnce.add(pool);
    await pool.start();
    try {
      return await use(pool);
    } finally {
      await pool.close();
    }
  }

  /** Whether this host has the toolchain's image (for the version probe). */
  async has(toolchain: Toolchain): Promise<boolean> {
    const image = this.image(toolchain);
    return image ? this.imagePresent(image) : false;
  }

  /** The toolchain's image name (from the standard tier's base image), if that tier runs here. */
  image(toolchain: Toolchain): string | undefined {
    const base = this.baseSpecs().standard;
    return base && toolchainImage(base.image, toolchain);
  }

  /** Sizes of the open pools, keyed `tier/toolchain` (for the heartbeat and GET /workers). */
  sizes(): Record<string, WarmPool['size']> {
    return Object.fromEntries([...this.open].map(([key, pool]) => [key, pool.size]));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const pools = [...this.entries.values()].map((e) => e.pool);
    this.entries.clear();
    this.open.clear();
    await Promise.allSettled([...pools.map(async (p) => (await p).close()), ...[...this.usedOnce].map((p) => p.close())]);
    this.usedOnce.clear();
  }

  private async openPool(key: string, tier: IsolationTier, toolchain: Toolchain): Promise<WarmPool> {
    const base = this.baseSpecs()[tier];
    if (!base) throw new ToolchainMissingError(`isolation tier "${tier}" is not available on this worker`);
    const image = toolchainImage(base.image, toolchain);
    if (!(await this.imagePresent(image))) {
      if (this.options.buildImage) await this.build(toolchain, image);
      if (!(await this.imagePresent(image))) {
        throw new ToolchainMissingError(`the ${toolchain} toolchain image ${image} is not on this worker (build it: scripts/build-sandbox-image.sh ${toolchain})`);
      }
    }
    const logger = this.logger.child({ component: 'pool', isolation: tier, toolchain });
    const pool = new WarmPool(this.docker, { ...base, image }, this.options.warmSize, logger, this.options.poolOptions?.[tier] ?? {});
    await pool.start();
    if (this.closed) {
      // Closed while this pool was being made (or its image built): nobody else will close it.
      await pool.close();
      throw new Error('toolchain pools are closed');
    }
    logger.info({ image, warmSize: this.options.warmSize }, 'toolchain pool opened');
    this.open.set(key, pool);
    return pool;
  }

  private imagePresent(image: string): Promise<boolean> {
    return this.docker.getImage(image).inspect().then(() => true, () => false);
  }

  private build(toolchain: Toolchain, image: string): Promise<void> {
    let build = this.builds.get(toolchain);
    if (!build) {
      const started = Date.now();
      this.logger.info({ toolchain, image }, 'building a toolchain image on first use');
      build = this.options.buildImage!(toolchain)
        .then(() => this.logger.info({ toolchain, image, ms: Date.now() - started }, 'toolchain image built'))
        .catch((err: unknown) => this.logger.error({ err, toolchain }, 'toolchain image build failed'))
        .finally(() => this.builds.delete(toolchain));
      this.builds.set(toolchain, build);
    }
    return build;
  }

  /** Closes the pools whose image had no job within idleMs (a job in flight keeps its container until release). */
  private closeIdle(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (now - entry.lastUse < this.options.idleMs) continue;
      this.entries.delete(key);
      void entry.pool.then(
        async (pool) => {
          if (pool.size.leased > 0 && !this.entries.has(key)) return void this.entries.set(key, entry); // busy: look again later
          this.logger.info({ pool: key }, 'toolchain pool closed after idling');
          if (this.open.get(key) === pool) this.open.delete(key);
          await pool.close();
        },
        () => undefined,
      );
    }
  }
}
