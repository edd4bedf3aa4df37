import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config.ts';
import { ApiError } from '../../core/errors.ts';
import { ApiKeys } from '../../functions/lib/api-keys.ts';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

describe('API keys from the environment', () => {
  it('maps each key to its tenant', () => {
    const keys = new ApiKeys(`acme:${KEY_A}, globex:${KEY_B}`);
    expect(keys.authenticate(KEY_A)).toEqual({ tenantId: 'acme' });
    expect(keys.authenticate(KEY_B)).toEqual({ tenantId: 'globex' });
  });

  it('gives a bare key to the default tenant', () => {
    expect(new ApiKeys(KEY_A).authenticate(KEY_A)).toEqual({ tenantId: 'default' });
  });

  it.each([undefined, '', 'wrong-key', KEY_A.slice(1)])('rejects %j with 401', (key) => {
    const keys = new ApiKeys(`acme:${KEY_A}`);
    expect(() => keys.authenticate(key)).toThrow(ApiError);
    try {
      keys.authenticate(key);
    } catch (error) {
      expect((error as ApiError).statusCode).toBe(401);
    }
  });

  it('refuses a configuration with no keys or short keys', () => {
    expect(() => new ApiKeys('')).toThrow(ConfigError);
    expect(() => new ApiKeys('acme:short')).toThrow(ConfigError);
  });
});
