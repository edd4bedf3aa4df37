/**
 * Tenants and their API keys. A key is shown once when created; only its
 * SHA-256 is stored. Limits belong to the tenant and travel with each of its
 * key records, so authentication is one read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ISOLATION_TIERS } from './contract.ts';
import { LIMIT_NAMES, MAX_LIMITS, type LimitName } from './limits.ts';

/** The tenant's ceiling for each per-job limit: `maxWallTimeMs`, `maxMemoryMb`, `maxProcesses`, … */
export type CeilingName = `max${Capitalize<LimitName>}`;
export const ceilingName = (limit: LimitName): CeilingName => `max${limit[0]!.toUpperCase()}${limit.slice(1)}` as CeilingName;

/** Each ceiling at most the platform's maximum, which is also its default. */
const ceilingsShape = Object.fromEntries(
  LIMIT_NAMES.map((name) => [ceilingName(name), z.number().int().positive().max(MAX_LIMITS[name]).default(MAX_LIMITS[name])]),
) as Record<CeilingName, z.ZodDefault<z.ZodNumber>>;

export const tenantLimitsSchema = z.object({
  /** Token bucket: sustained job submissions per second… */
  ratePerSecond: z.number().positive().max(10_000),
  /** …and how many may come at once. */
  burst: z.number().int().min(1).max(100_000),
  /** Jobs queued or running at once. */
  maxConcurrentJobs: z.number().int().min(1).max(100_000),
  /** The tier used when a job does not ask for one. */
  defaultIsolation: z.enum(ISOLATION_TIERS).default('standard'),
  /**
   * Reads (GET /jobs/{id}, WebSocket `subscribe`): a second, cheaper bucket, so
   * polling is limited too but never eats the tokens for submissions.
   */
  readRatePerSecond: z.number().positive().max(100_000).default(50),
  readBurst: z.number().int().min(1).max(1_000_000).default(100),
  /** Per-job ceilings for this tenant, at most the platform's maximums. */
  ...ceilingsShape,
  /** Whether this tenant's jobs may call the AI node through the worker's gateway. */
  ai: z.boolean().default(true),
  /** Operators' keys: may read platform-wide state such as GET /workers. */
  admin: z.boolean().default(false),
});
export type TenantLimits = z.infer<typeof tenantLimitsSchema>;

export const DEFAULT_TENANT_LIMITS: TenantLimits = tenantLimitsSchema.parse({ ratePerSecond: 10, burst: 20, maxConcurrentJobs: 50 });

export const apiKeyRecordSchema = z.object({
  keyHash: z.string().length(64),
  /** Public handle of the key (its first characters), for listing and revoking. */
  keyId: z.string(),
  tenantId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/),
  limits: tenantLimitsSchema,
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export interface Tenant {
  tenantId: string;
  limits: TenantLimits;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new random key: `rp_` + 40 base62-ish characters; its id is its first 12 characters. */
export function generateApiKey(): { key: string; keyId: string } {
  const key = `rp_${randomBytes(30).toString('base64url')}`;
  return { key, keyId: key.slice(0, 12) };
}
