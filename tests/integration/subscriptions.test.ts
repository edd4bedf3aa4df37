/**
 * WebSocket subscriptions on a real Redis: nothing a connection writes can
 * outlive API Gateway's 2-hour socket limit (a lost $disconnect must not leak),
 * and a subscribe that arrives after $disconnect (serverless-offline and API
 * Gateway run $disconnect asynchronously after the close) resurrects nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '../../core/adapters/redis.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import { hashApiKey } from '../../core/tenants.ts';

const redis = createRedis(inject('redisUrl'), `test-subscriptions-${process.pid}`);
const subscriptions = new Subscriptions(redis);
const tenant = { tenantId: 'acme', keyHash: hashApiKey('rp_test_key_0123456789') };
afterAll(() => redis.disconnect());

/** Every key that mentions the connection or the job (both ids are unique to the test). */
async function keysOf(connectionId: string, jobId: string): Promise<string[]> {
  const [a, b] = await Promise.all([redis.keys(`*${connectionId}*`), redis.keys(`*${jobId}*`)]);
  return [...new Set([...a, ...b])].sort();
}

describe('subscriptions', () => {
  it('gives every key a connection creates a TTL of at most 2 hours', async () => {
    const [connectionId, jobId] = [randomUUID(), randomUUID()];
    await subscriptions.addConnection(connectionId, tenant);
    expect(await subscriptions.subscribe(connectionId, jobId)).toBe(true);
    expect(await subscriptions.claimFinalPush(jobId, connectionId)).toBe(true);

    const keys = await keysOf(connectionId, jobId);
    expect(keys).toEqual([`rp:conn:{${connectionId}}`, `rp:conn:{${connectionId}}:jobs`, `rp:job:{${jobId}}:final:${connectionId}`, `rp:job:{${jobId}}:subs`].sort());
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      expect({ key, ok: ttl > 0 && ttl <= 2 * 3600 }).toEqual({ key, ok: true });
    }
    expect(await subscriptions.subscribers(jobId)).toEqual([connectionId]);
  });

  it('leaves no key behind when a subscribe arrives after $disconnect', async () => {
    const [connectionId, jobId] = [randomUUID(), randomUUID()];
    await subscriptions.addConnection(connectionId, tenant);
    await subscriptions.dropConnection(connectionId);
    expect(await subscriptions.subscribe(connectionId, jobId)).toBe(false);
    expect(await keysOf(connectionId, jobId)).toEqual([]);
    expect(await subscriptions.subscribers(jobId)).toEqual([]);
  });

  it('leaves no key behind whatever the interleaving of subscribes and $disconnect', async () => {
    const pairs = Array.from({ length: 50 }, () => [randomUUID(), randomUUID(), randomUUID()] as const);
    await Promise.all(pairs.map(async ([connectionId, jobA, jobB]) => {
      await subscriptions.addConnection(connectionId, tenant);
      await Promise.all([subscriptions.subscribe(connectionId, jobA), subscriptions.dropConnection(connectionId), subscriptions.subscribe(connectionId, jobB)]);
    }));
    for (const [connectionId, jobA, jobB] of pairs) {
      expect(await keysOf(connectionId, jobA)).toEqual([]);
      expect(await keysOf(connectionId, jobB)).toEqual([]);
    }
  });
});
