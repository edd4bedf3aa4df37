import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/config.ts';
import { ApiError } from '../../core/errors.ts';
import { ApiKeys } from '../../functions/lib/api-keys.ts';

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

describe('API keys from the environment', () => {
  it('maps each key to its tenant', () => {
    const keys = new ApiKeys(`acme:${KEY_A}, globex:${KEY_B}`);
    expect(keys.authenticate(KEY_A).tenantId).toBe('acme');
    expect(keys.authenticate(KEY_B).tenantId).toBe('globex');
  });

  it('gives a bare key to the default tenant', () => {
    expect(new ApiKeys(KEY_A).authenticate(KEY_A).tenantId).toBe('default');
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

  it('allows no static keys at all (the keys table is the normal place)', () => {
    expect(new ApiKeys('').size).toBe(0);
  });

  it('refuses a configuration with short keys', () => {
    expect(() => new ApiKeys('acme:short')).toThrow(ConfigError);
  });
});
