/** The worker agent's environment, parsed once at start. */
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { baseEnvSchema, optionalUrl } from '../core/config.ts';
import { allowedCidrs } from '../core/callback-target.ts';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { CALLBACK_TIMEOUT_MS, CALLBACK_TRIES } from '../functions/compat/judge0/config.ts';

export const workerEnvSchema = baseEnvSchema.extend({
  WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  JOBS_DLQ_URL: z.url(),
  /**
   * Jobs run at once by this agent. Default: two per core, so one job's start-up
   * and I/O overlap another's CPU time (micro-tasks spend much of their life starting).
   */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2 * availableParallelism()),
  /**
   * Warm containers the runc pool keeps, busy and idle together (each serves one
   * job at a time, job after job). Default: WORKER_CONCURRENCY, so every slot
   * has a container and none is started on the job's path.
   */
  POOL_SIZE: z.coerce.number().int().min(0).max(64).optional(),
  /** Pre-started gVisor containers; the tier is offered only when dockerd has the runsc runtime. */
  GVISOR_POOL_SIZE: z.coerce.number().int().min(0).max(64).default(1),
  /**
   * Toolchain images (JVM, Rust, GHC, OCaml): containers each one's pool keeps ready
   * while it had a job in the last TOOLCHAIN_POOL_IDLE_SECONDS; then the pool closes.
   */
  TOOLCHAIN_POOL_SIZE: z.coerce.number().int().min(0).max(16).default(1),
  TOOLCHAIN_POOL_IDLE_SECONDS: z.coerce.number().int().min(1).default(300),
  /**
   * Build a missing toolchain image on the first job that needs it (the local stack
   * sets it; takes effect only from a checkout, as root). Off: such jobs fail at once.
   */
  BUILD_MISSING_TOOLCHAINS: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /** Jobs a container serves (each in fresh namespaces) before it is replaced. */
  POOL_MAX_JOBS_PER_CONTAINER: z.coerce.number().int().min(1).default(1000),
  SANDBOX_IMAGE: z.string().min(1).default('runplane-sandbox:latest'),
  /** Where the language versions read from each sandbox image are kept, by image id (worker/sandbox-host/versions-cache.ts). */
  VERSIONS_CACHE_DIR: z.string().min(1).default(join(tmpdir(), 'runplane-versions')),
  /** cgroup sizes a pooled container starts with; a job with other limits is resized before it runs. */
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(32).default(DEFAULT_LIMITS.memoryMb),
  SANDBOX_PIDS_LIMIT: z.coerce.number().int().min(4).default(DEFAULT_LIMITS.processes),
  SANDBOX_CPUS: z.coerce.number().positive().default(1),
  /** Size of each job's tmpfs work dir. */
  SANDBOX_WORKDIR_MB: z.coerce.number().int().min(1).default(64),
  SQS_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
  /** The queue's visibility timeout; running jobs extend it before it lapses. */
  VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(5).default(30),
  /** Port of GET /metrics (Prometheus); 0: a free port (the local stack runs several agents). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().min(1).default(5),
  /** A worker that stops beating disappears from GET /workers after this long. */
  HEARTBEAT_TTL_SECONDS: z.coerce.number().int().min(2).default(15),
  /** The AI node (Ollama API) jobs may call through the gateway; unset: no AI in the sandboxes. */
  AI_NODE_URL: optionalUrl,
  /** Where the per-container gateway sockets live on the host. */
  AI_SOCKET_DIR: z.string().default('/run/runplane-ai'),
  AI_MAX_REQUESTS_PER_JOB: z.coerce.number().int().min(0).default(20),
  AI_MAX_TOKENS_PER_JOB: z.coerce.number().int().min(0).default(4_000),
  AI_MAX_CONCURRENT_PER_TENANT: z.coerce.number().int().min(1).default(4),
  /** 1: the auto-tuner sizes the warm pool and the concurrency from job feedback, within these bounds. */
  AUTOTUNE: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  AUTOTUNE_POOL_MIN: z.coerce.number().int().min(0).default(1),
  AUTOTUNE_POOL_MAX: z.coerce.number().int().min(1).default(16),
  AUTOTUNE_CONCURRENCY_MAX: z.coerce.number().int().min(1).default(8),
  AUTOTUNE_TICK_MS: z.coerce.number().int().min(100).default(5_000),
  /** Arrival rate windows (rises seen over the short one, falls over the long one) and the shrink cooldown. */
  AUTOTUNE_SHORT_WINDOW_MS: z.coerce.number().int().min(100).default(10_000),
  AUTOTUNE_LONG_WINDOW_MS: z.coerce.number().int().min(100).default(60_000),
  AUTOTUNE_SHRINK_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Completion callbacks (worker/callbacks/): each tenant's signing secret is
   * derived from this key (`npm run keys -- callback-secret --tenant T` shows
   * it); unset, callbacks are not sent. In AWS it comes from Secrets Manager.
   */
  CALLBACK_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  CALLBACK_TRIES: z.coerce.number().int().min(1).max(10).default(CALLBACK_TRIES),
  CALLBACK_BACKOFF_MS: z.coerce.number().int().min(0).default(1_000),
  CALLBACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(CALLBACK_TIMEOUT_MS),
  /** Exceptions to the public-address rule, as CIDRs (a receiver inside the operator's own network; the local stack's loopback). */
  CALLBACK_ALLOWED_CIDRS: z.string().default('').refine((text) => {
    try {
      allowedCidrs(text);
      return true;
    } catch {
      return false;
    }
  }, 'must be a comma-separated list of CIDRs such as 10.1.0.0/16'),
  /** Deliveries after which a job that keeps failing for infrastructure reasons is marked failed. */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).default(3),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

/** The runc pool's size: POOL_SIZE, or one container per concurrent job. */
export function poolSize(config: Pick<WorkerConfig, 'POOL_SIZE' | 'WORKER_CONCURRENCY'>): number {
  return config.POOL_SIZE ?? config.WORKER_CONCURRENCY;
}
