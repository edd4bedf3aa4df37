/**
 * API keys configured in the environment: `RUNPLANE_API_KEYS` is a comma list
 * of `tenant:key` (or a bare `key`, which belongs to tenant `default`).
 * Keys are compared as SHA-256 digests with timingSafeEqual, so neither a
 * key's content nor its length leaks through response time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../core/config.ts';
import { unauthorized } from '../../core/errors.ts';

export interface Tenant {
  tenantId: string;
}

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
    if (this.entries.length === 0) throw new ConfigError('RUNPLANE_API_KEYS: no keys configured');
  }

  /** Returns the key's tenant, or throws 401. Checks every entry so timing does not depend on position. */
  authenticate(key: string | undefined): Tenant {
    if (!key) throw unauthorized();
    const candidate = digest(key);
    let tenantId: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, candidate)) tenantId ??= entry.tenantId;
    }
    if (!tenantId) throw unauthorized();
    return { tenantId };
  }
}
