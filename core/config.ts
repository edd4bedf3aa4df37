/**
 * Environment parsing. Each process parses its environment once at start with
 * zod, so a missing or malformed variable fails immediately with its name.
 */
import { z } from 'zod';

/** Deploy tools render an unset variable as an empty string: treat it as unset. */
export const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
export const optionalUrl = z.preprocess(emptyAsUndefined, z.url().optional());

/** What every process that talks to AWS and Redis needs. */
export const baseEnvSchema = z.object({
  AWS_REGION: z.string().default('us-east-1'),
  /** Local emulator endpoints; unset in AWS, where the SDK's defaults apply. */
  SQS_ENDPOINT: optionalUrl,
  S3_ENDPOINT: optionalUrl,
  DYNAMODB_ENDPOINT: optionalUrl,
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  JOBS_TABLE: z.string().min(1),
  CODE_BUCKET: z.string().min(1),
  JOBS_QUEUE_URL: z.url(),
  /** Seconds a job's hot state stays in Redis after its last change. */
  HOT_STATE_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  /** Days a job record stays in DynamoDB (TTL attribute). */
  JOB_RECORD_TTL_DAYS: z.coerce.number().int().positive().default(7),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});
export type BaseConfig = z.infer<typeof baseEnvSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses `env` with `schema`; throws one error naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
}
