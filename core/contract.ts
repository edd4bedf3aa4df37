/**
 * The job contract shared by the control plane and the workers: what clients
 * send, what travels on the queue, what is stored and what clients read back.
 * Field names here are public API (`language`, `source`, `stdin`, `jobId`,
 * `status`, `result.*`): extend, never rename.
 */
import { z } from 'zod';
import { LANGUAGE_IDS } from './languages.ts';
import { MAX_LIMITS } from './limits.ts';

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const VERDICTS = [
  'ok',
  'compile_error',
  'runtime_error',
  'time_limit_exceeded',
  'memory_limit_exceeded',
  'output_limit_exceeded',
  'internal_error',
] as const;
export type Verdict = (typeof VERDICTS)[number];

const languageSchema = z.enum(LANGUAGE_IDS, {
  error: () => `unsupported language; supported: ${LANGUAGE_IDS.join(', ')}`,
});

export const limitsRequestSchema = z.strictObject({
  wallTimeMs: z.number().int().min(100).max(MAX_LIMITS.wallTimeMs),
  outputBytes: z.number().int().min(1024).max(MAX_LIMITS.outputBytes),
  compileWallTimeMs: z.number().int().min(1000).max(MAX_LIMITS.compileWallTimeMs),
}).partial();

/** Body of `POST /run`. Size limits on `source`/`stdin` are checked by the handler (413). */
export const runRequestSchema = z.strictObject({
  language: languageSchema,
  source: z.string().min(1, 'must not be empty'),
  stdin: z.string().default(''),
  limits: limitsRequestSchema.optional(),
});
export type RunRequest = z.infer<typeof runRequestSchema>;

export const jobLimitsSchema = z.object({
  wallTimeMs: z.number().int().positive(),
  outputBytes: z.number().int().positive(),
  compileWallTimeMs: z.number().int().positive(),
});
export type JobLimits = z.infer<typeof jobLimitsSchema>;

/** What the program needs to run; stored in S3, inlined in the message when small. */
export const jobInputSchema = z.object({
  language: languageSchema,
  source: z.string(),
  stdin: z.string(),
});
export type JobInput = z.infer<typeof jobInputSchema>;

/** The SQS message body. */
export const jobMessageSchema = z.object({
  jobId: z.string().min(1),
  tenantId: z.string().min(1),
  inputKey: z.string().min(1),
  input: jobInputSchema.optional(),
  limits: jobLimitsSchema,
  submittedAt: z.string(),
});
export type JobMessage = z.infer<typeof jobMessageSchema>;

export const stageOutputSchema = z.object({
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int().nullable(),
  timeMs: z.number().int(),
  truncated: z.boolean(),
});
export type StageOutput = z.infer<typeof stageOutputSchema>;

export const jobResultSchema = z.object({
  verdict: z.enum(VERDICTS),
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int().nullable(),
  /** Wall time of the run stage in milliseconds. */
  timeMs: z.number().int(),
  /** True when stdout/stderr were cut at the output limit. */
  truncated: z.boolean(),
  /** Present for compiled languages: the compiler's own output. */
  compile: stageOutputSchema.optional(),
  /** Human-readable detail for verdicts that need one (e.g. which limit). */
  message: z.string().optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

/** The job as stored (DynamoDB record, Redis hot state) and as `GET /jobs/{id}` shows it. */
export const jobRecordSchema = z.object({
  jobId: z.string(),
  tenantId: z.string(),
  status: z.enum(JOB_STATUSES),
  language: languageSchema,
  inputKey: z.string(),
  limits: jobLimitsSchema,
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  result: jobResultSchema.optional(),
  /** Why a job `failed` (infrastructure, not the user's program). */
  error: z.string().optional(),
  attempts: z.number().int().optional(),
  workerId: z.string().optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

export const JOB_EVENT_TYPES = ['job.queued', 'job.running', 'job.completed', 'job.failed'] as const;
export const jobEventSchema = z.object({
  type: z.enum(JOB_EVENT_TYPES),
  jobId: z.string(),
  job: jobRecordSchema,
});
export type JobEvent = z.infer<typeof jobEventSchema>;

/** The public view of a job: internal fields (tenant, S3 key, worker) stay inside. */
export function publicJobView(job: JobRecord) {
  return {
    jobId: job.jobId,
    status: job.status,
    language: job.language,
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    limits: job.limits,
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
  };
}
export type PublicJobView = ReturnType<typeof publicJobView>;
