/**
 * Resolves an API key to its tenant: SHA-256 of the key, one DynamoDB read,
 * cached briefly per Lambda environment (answers for unknown keys too, so a
 * flood of bad keys does not become a flood of reads). A revoked key stops
 * working when its cache entry expires: at most `cacheMs` after revocation.
 * Keys from RUNPLANE_API_KEYS (static, for bootstrapping) are checked first.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ApiKeysStore } from '../../core/adapters/api-keys-store.ts';
import { unauthorized } from '../../core/errors.ts';
import { hashApiKey, type Tenant } from '../../core/tenants.ts';
import type { ApiKeys } from './api-keys.ts';

const MAX_CACHED = 10_000;

export class Authenticator {
  private readonly cache = new Map<string, { tenant: Tenant | undefined; expires: number }>();

  constructor(
    private readonly store: ApiKeysStore | undefined,
    private readonly cacheMs: number,
    private readonly staticKeys?: ApiKeys,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(key: string | undefined): Promise<Tenant> {
    if (!key) throw unauthorized();
    return this.authenticateHash(hashApiKey(key));
  }

  /** The same, from the key's SHA-256 (what an open WebSocket keeps, never the key itself). */
  async authenticateHash(keyHash: string): Promise<Tenant> {
    const fromEnv = this.staticKeys?.findByHash(keyHash);
    if (fromEnv) return fromEnv;
    const cached = this.cache.get(keyHash);
    if (cached && cached.expires > this.now()) return orUnauthorized(cached.tenant);

    const record = this.store ? await this.store.getByHash(keyHash) : undefined;
    const valid = record && !record.revokedAt && timingSafeEqual(Buffer.from(record.keyHash), Buffer.from(keyHash));
    const tenant = valid ? { tenantId: record.tenantId, limits: record.limits } : undefined;
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(keyHash, { tenant, expires: this.now() + this.cacheMs });
    return orUnauthorized(tenant);
  }
}

function orUnauthorized(tenant: Tenant | undefined): Tenant {
  if (!tenant) throw unauthorized();
  return tenant;
}
