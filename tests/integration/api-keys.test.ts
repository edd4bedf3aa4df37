import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysStore } from '../../core/adapters/api-keys-store.ts';
import { ApiError } from '../../core/errors.ts';
import { DEFAULT_TENANT_LIMITS, generateApiKey, hashApiKey } from '../../core/tenants.ts';
import { ApiKeys } from '../../functions/lib/api-keys.ts';
import { Authenticator } from '../../functions/lib/authenticator.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let store: ApiKeysStore;
beforeAll(async () => {
  s = await testServices();
  store = new ApiKeysStore(s.aws.dynamo, s.resources.apiKeysTable);
});
afterAll(() => s.close());

async function createKey(tenantId: string) {
  const { key, keyId } = generateApiKey();
  await store.put({ keyHash: hashApiKey(key), keyId, tenantId, limits: DEFAULT_TENANT_LIMITS, createdAt: new Date().toISOString() });
  return { key, keyId };
}

async function status(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  return error instanceof ApiError ? error.statusCode : 'ok';
}

describe('API keys', () => {
  it('stores only the hash of a key', async () => {
    const { key } = await createKey('acme');
    const stored = JSON.stringify(await store.list());
    expect(stored).not.toContain(key);
    expect(stored).toContain(hashApiKey(key));
  });

  it("resolves a key to its tenant and the tenant's limits", async () => {
    const { key } = await createKey('acme');
    const auth = new Authenticator(store, 10_000);
    expect(await auth.authenticate(key)).toEqual({ tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS });
  });

  it('answers 401 for a missing or unknown key', async () => {
    const auth = new Authenticator(store, 10_000);
    expect(await status(auth.authenticate(undefined))).toBe(401);
    expect(await status(auth.authenticate('rp_unknown_key_0123456789'))).toBe(401);
  });

  it('stops accepting a revoked key once the cache time has passed, not before', async () => {
    let now = 1_000_000;
    const { key, keyId } = await createKey('globex');
    const auth = new Authenticator(store, 10_000, undefined, () => now);
    await auth.authenticate(key);

    expect(await store.revoke(keyId, new Date().toISOString())).toBe(true);
    now += 9_000;
    expect(await status(auth.authenticate(key))).toBe('ok');
    now += 2_000;
    expect(await status(auth.authenticate(key))).toBe(401);
  });

  it('refuses to revoke an unknown or already revoked key', async () => {
    const { keyId } = await createKey('initech');
    expect(await store.revoke(keyId, 'now')).toBe(true);
    expect(await store.revoke(keyId, 'now')).toBe(false);
    expect(await store.revoke('rp_nope', 'now')).toBe(false);
  });

  it('accepts static bootstrap keys from the environment with default limits', async () => {
    const auth = new Authenticator(store, 10_000, new ApiKeys('boot:bootstrap-key-0123456789'));
    expect(await auth.authenticate('bootstrap-key-0123456789')).toEqual({ tenantId: 'boot', limits: DEFAULT_TENANT_LIMITS });
  });
});
