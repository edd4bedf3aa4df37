/**
 * Admission control on a real Redis: the token bucket's arithmetic under
 * concurrent clients, the in-flight cap, and what a refused request leaves
 * behind (nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl, tenantKeys } from '../../core/adapters/admission.ts';
import { createRedis } from '../../core/adapters/redis.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let tenantCounter = 0;
const newTenant = () => `t${process.pid}-${++tenantCounter}`;

beforeAll(async () => {
  s = await testServices();
});
afterAll(() => s.close());

describe('the token bucket', () => {
  it('admits exactly burst + rate × elapsed (server time) under a burst and then a steady load from several clients', async () => {
    const tenant = newTenant();
    const limits = { ratePerSecond: 5, burst: 20, maxConcurrentJobs: 1_000_000 };
    // Four clients, each with its own connection, as four Lambda environments would be.
    const connections = Array.from({ length: 4 }, () => s.redis.duplicate());
    const clients = connections.map((redis) => new AdmissionControl(redis));
    const decisions: { admitted: boolean; at: number; tokensLeft: number }[] = [];
    let n = 0;
    const fire = async (client: AdmissionControl) => {
      const a = await client.admit(tenant, limits, `job-${n++}`);
      decisions.push({ admitted: a.decision === 'admitted', at: a.serverTimeMs, tokensLeft: a.tokensLeft });
    };

    // Burst: 4 × 15 requests at once. Then steady: each client every 50 ms for 2 s (80/s offered, 5/s allowed).
    await Promise.all(clients.map(async (c) => { for (let i = 0; i < 15; i++) await fire(c); }));
    const burstAdmitted = decisions.filter((d) => d.admitted).length;
    const burstMs = Math.max(...decisions.map((d) => d.at)) - Math.min(...decisions.map((d) => d.at));
    await Promise.all(clients.map(async (c) => { for (let i = 0; i < 40; i++) { await fire(c); await new Promise((r) => setTimeout(r, 50)); } }));

    // The bucket's final state: the latest server time; within that millisecond no refill
    // happens between decisions, so the last one made is the one with the fewest tokens left.
    const lastAt = Math.max(...decisions.map((d) => d.at));
    const last = decisions.filter((d) => d.at === lastAt).sort((a, b) => a.tokensLeft - b.tokensLeft)[0]!;
    const elapsedMs = lastAt - Math.min(...decisions.map((d) => d.at));
    const admitted = decisions.filter((d) => d.admitted).length;
    // Demand always exceeded supply, so the bucket never filled: every token made was spent,
    // except what is left after the last decision. Tokens made = burst + rate × elapsed (server clock).
    expect(admitted + last.tokensLeft).toBeCloseTo(limits.burst + (limits.ratePerSecond * elapsedMs) / 1000, 9);
    // The burst, plus what refilled while it lasted (on the server's clock: a slow machine takes longer).
    expect(burstAdmitted).toBeGreaterThanOrEqual(limits.burst);
    expect(burstAdmitted).toBeLessThanOrEqual(Math.floor(limits.burst + (limits.ratePerSecond * burstMs) / 1000));
    connections.forEach((redis) => redis.disconnect());
  }, 30_000);

  it('answers a refusal with the time to wait for the next token', async () => {
    const tenant = newTenant();
    const admission = new AdmissionControl(s.redis);
    const limits = { ratePerSecond: 0.5, burst: 1, maxConcurrentJobs: 10 };
    expect((await admission.admit(tenant, limits, 'a')).decision).toBe('admitted');

    const refused = await admission.admit(tenant, limits, 'b');

    expect(refused).toMatchObject({ decision: 'rate_limited', remaining: 0, limit: 1 });
    expect(refused.retryAfterSeconds).toBe(2);
  });
});

describe('the in-flight cap', () => {
  it('refuses a job while the tenant has its maximum in flight, and admits again after a release', async () => {
    const tenant = newTenant();
    const admission = new AdmissionControl(s.redis);
    const limits = { ratePerSecond: 100, burst: 100, maxConcurrentJobs: 2 };
    await admission.admit(tenant, limits, 'job-1');
    await admission.admit(tenant, limits, 'job-2');

    expect((await admission.admit(tenant, limits, 'job-3')).decision).toBe('too_many_in_flight');
    await admission.release(tenant, 'job-1');
    expect((await admission.admit(tenant, limits, 'job-3')).decision).toBe('admitted');
    expect(await s.redis.zcard(tenantKeys.inFlight(tenant))).toBe(2);
  });

  it('does not take a token from a request refused for the in-flight cap', async () => {
    const tenant = newTenant();
    const admission = new AdmissionControl(s.redis);
    const limits = { ratePerSecond: 0.001, burst: 2, maxConcurrentJobs: 1 };
    await admission.admit(tenant, limits, 'job-1');
    await admission.admit(tenant, limits, 'job-2');
    await admission.release(tenant, 'job-1');

    expect((await admission.admit(tenant, limits, 'job-3')).decision).toBe('admitted');
  });
});

describe('when Redis is unreachable', () => {
  it('fails the admission (callers turn it into 503)', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'dead');
    dead.on('error', () => undefined);
    const admission = new AdmissionControl(dead);
    await expect(admission.admit(newTenant(), { ratePerSecond: 1, burst: 1, maxConcurrentJobs: 1 }, 'x')).rejects.toThrow();
    dead.disconnect();
  });
});
