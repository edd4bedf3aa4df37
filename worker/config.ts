/** The worker agent's environment, parsed once at start. */
import { hostname } from 'node:os';
import { z } from 'zod';
import { baseEnvSchema } from '../core/config.ts';

export const workerEnvSchema = baseEnvSchema.extend({
  WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  JOBS_DLQ_URL: z.url(),
  /** Jobs run at once by this agent. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Pre-started containers kept ready. */
  POOL_SIZE: z.coerce.number().int().min(0).max(64).default(2),
  SANDBOX_IMAGE: z.string().min(1).default('runplane-sandbox:latest'),
  SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).default(512),
  SANDBOX_PIDS_LIMIT: z.coerce.number().int().min(16).default(128),
  SANDBOX_CPUS: z.coerce.number().positive().default(1),
  /** Size of the tmpfs work dir in each container. */
  SANDBOX_WORKDIR_MB: z.coerce.number().int().min(1).default(64),
  SQS_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
  /** The queue's visibility timeout; running jobs extend it before it lapses. */
  VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(5).default(30),
  /** Deliveries after which a job that keeps failing for infrastructure reasons is marked failed. */
  MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).default(3),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;
