/**
 * Static API keys from the environment, for bootstrapping a deployment before
 * any key is in the table: `RUNPLANE_API_KEYS` is a comma list of
 * `tenant:key` (or a bare `key`, which belongs to tenant `default`). They get
 * the default tenant limits. Keys are compared as SHA-256 digests with
 * timingSafeEqual, so neither content nor length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../core/config.ts';
import { unauthorized } from '../../core/errors.ts';
import { DEFAULT_TENANT_LIMITS, type Tenant } from '../../core/tenants.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export class ApiKeys {
  private readonly entries: { digest: Buffer; tenantId: string }[];

  constructor(spec: string) {
    this.entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((item) => {
        const colon = item.indexOf(':');
        const [tenantId, key] = colon === -1 ? ['default', item] : [item.slice(0, colon), item.slice(colon + 1)];
        if (!tenantId || key.length < 16) throw new ConfigError('RUNPLANE_API_KEYS: each key needs 16+ characters and a tenant');
        return { digest: digest(key), tenantId };
      });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The key's tenant, or undefined. Checks every entry so timing does not depend on position. */
  find(key: string): Tenant | undefined {
    return this.findByDigest(digest(key));
  }

  /** The same from the key's SHA-256 in hex (hashApiKey), as an open WebSocket keeps it. */
  findByHash(keyHash: string): Tenant | undefined {
    const candidate = Buffer.from(keyHash, 'hex');
    return candidate.length === 32 ? this.findByDigest(candidate) : undefined;
  }

  private findByDigest(candidate: Buffer): Tenant | undefined {
    let tenantId: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) tenantId ??= entry.tenantId;
    }
    return tenantId ? { tenantId, limits: DEFAULT_TENANT_LIMITS } : undefined;
  }

  /** The key's tenant, or 401. */
  authenticate(key: string | undefined): Tenant {
    const tenant = key ? this.find(key) : undefined;
    if (!tenant) throw unauthorized();
    return tenant;
  }
}
