/**
 * Admission steps shared by the use cases: Redis trouble refuses the request
 * (fail closed), and the cheap read limit of GET /jobs/{id} and `subscribe`.
 */
import { rateLimitHeaders, type AdmissionControl } from '../../core/adapters/admission.ts';
import { ApiError, serviceUnavailable, tooManyRequests } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Tenant } from '../../core/tenants.ts';

/** Runs a Redis-backed step; any Redis failure refuses the request (fail closed). */
export async function failClosed<T>(step: () => Promise<T>, logger: Logger): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    logger.error({ err: error }, 'admission store unavailable; refusing (fail closed)');
    throw serviceUnavailable('admission control is unavailable; retry shortly', 1);
  }
}

/** Takes a token from the tenant's read bucket; 429 with Retry-After past it. Absent admission: no limit. */
export async function takeReadToken(tenant: Tenant, admission: AdmissionControl | undefined, logger: Logger): Promise<void> {
  if (!admission) return;
  const decision = await failClosed(() => admission.consumeRead(tenant.tenantId, tenant.limits), logger);
  if (decision.decision === 'admitted') return;
  throw tooManyRequests(`read rate limit of ${tenant.limits.readRatePerSecond}/s (burst ${tenant.limits.readBurst}) exceeded`, {
    ...rateLimitHeaders(decision),
    'Retry-After': String(decision.retryAfterSeconds),
  });
}
