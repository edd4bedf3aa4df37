/**
 * Admission control for job submissions: per-tenant token bucket and
 * in-flight cap in one atomic Lua script (admission-script.ts), with the answers
 * that go into RateLimit-* headers. Workers release a job's in-flight slot
 * when it finishes. Redis errors propagate: callers fail closed.
 */
import type { Redis } from 'ioredis';
import type { TenantLimits } from '../tenants.ts';
import { ADMISSION_SCRIPT } from './admission-script.ts';

/** A job counts as in flight for at most this long if its worker never reports back. */
export const IN_FLIGHT_EXPIRY_MS = 15 * 60 * 1000;

export const tenantKeys = {
  bucket: (tenantId: string) => `rp:tenant:{${tenantId}}:bucket`,
  inFlight: (tenantId: string) => `rp:tenant:{${tenantId}}:inflight`,
  /** The cheaper bucket for reads (GET /jobs/{id}, subscribe), apart from submissions'. */
  readBucket: (tenantId: string) => `rp:tenant:{${tenantId}}:reads`,
};

export type Decision = 'admitted' | 'rate_limited' | 'too_many_in_flight';

export interface Admission {
  decision: Decision;
  limit: number;
  remaining: number;
  /** Admitted: seconds until the bucket is full again. Rejected: seconds to wait. */
  resetSeconds: number;
  retryAfterSeconds: number;
  inFlight: number;
  /** Redis server time of the decision, ms. */
  serverTimeMs: number;
  /** Tokens left after the decision, unrounded (for exact accounting). */
  tokensLeft: number;
}

type AdmitReply = [number, number, number, number, number, string];
interface WithAdmit extends Redis {
  runplaneAdmit(bucket: string, inFlight: string, rate: number, burst: number, maxInFlight: number, jobId: string, ttl: number, track: '0' | '1'): Promise<AdmitReply>;
}

export class AdmissionControl {
  private readonly redis: WithAdmit;

  constructor(redis: Redis) {
    if (!('runplaneAdmit' in redis)) redis.defineCommand('runplaneAdmit', { numberOfKeys: 2, lua: ADMISSION_SCRIPT });
    this.redis = redis as WithAdmit;
  }

  /** Takes a token and an in-flight slot for a new job. */
  admit(tenantId: string, limits: Pick<TenantLimits, 'ratePerSecond' | 'burst' | 'maxConcurrentJobs'>, jobId: string): Promise<Admission> {
    return this.run(tenantId, limits, jobId, '1');
  }

  /** Takes a token only (e.g. opening a WebSocket). */
  consume(tenantId: string, limits: Pick<TenantLimits, 'ratePerSecond' | 'burst'>): Promise<Admission> {
    return this.run(tenantId, { ...limits, maxConcurrentJobs: Number.MAX_SAFE_INTEGER }, '', '0');
  }

  /** Takes a token from the tenant's read bucket (same script, its own key and rates). */
  consumeRead(tenantId: string, limits: Pick<TenantLimits, 'readRatePerSecond' | 'readBurst'>): Promise<Admission> {
    const asBucket = { ratePerSecond: limits.readRatePerSecond, burst: limits.readBurst, maxConcurrentJobs: Number.MAX_SAFE_INTEGER };
    return this.run(tenantId, asBucket, '', '0', tenantKeys.readBucket(tenantId));
  }

  private async run(
    tenantId: string,
    limits: Pick<TenantLimits, 'ratePerSecond' | 'burst' | 'maxConcurrentJobs'>,
    jobId: string,
    track: '0' | '1',
    bucket = tenantKeys.bucket(tenantId),
  ): Promise<Admission> {
    const [code, remaining, ms, now, inFlight, tokensLeft] = await this.redis.runplaneAdmit(
      bucket,
      tenantKeys.inFlight(tenantId),
      limits.ratePerSecond,
      limits.burst,
      limits.maxConcurrentJobs,
      jobId,
      IN_FLIGHT_EXPIRY_MS,
      track,
    );
    const decision: Decision = code === 1 ? 'admitted' : code === 0 ? 'rate_limited' : 'too_many_in_flight';
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return {
      decision,
      limit: limits.burst,
      remaining,
      resetSeconds: code === 1 ? Math.ceil(ms / 1000) : seconds,
      retryAfterSeconds: seconds,
      inFlight,
      serverTimeMs: now,
      tokensLeft: Number(tokensLeft),
    };
  }

  /** Frees an in-flight slot that was taken but whose job was never created (a later step failed). */
  async release(tenantId: string, jobId: string): Promise<void> {
    await this.redis.zrem(tenantKeys.inFlight(tenantId), jobId);
  }
}

/** RateLimit-* headers (IETF draft names) for an admission decision. */
export function rateLimitHeaders(a: Admission): Record<string, string> {
  return {
    'RateLimit-Limit': String(a.limit),
    'RateLimit-Remaining': String(a.remaining),
    'RateLimit-Reset': String(a.resetSeconds),
  };
}
