/**
 * Idempotency-Key support: the same key and body from the same tenant within
 * 24 h get the same job; the same key with another body is refused (422).
 * Kept in Redis with a TTL: a Redis failover inside the 24 h can forget a key
 * (the retry then creates a second job), the documented trade-off for one
 * round trip per submission.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export type IdempotencyCheck = { kind: 'new' } | { kind: 'replay'; jobId: string } | { kind: 'conflict' };

const keyFor = (tenantId: string, idempotencyKey: string) =>
  `rp:tenant:{${tenantId}}:idem:${createHash('sha256').update(idempotencyKey).digest('hex')}`;

/** A stable hash of a JSON body: object keys sorted, so key order does not matter. */
export function bodyHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
        : value;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

export class IdempotencyKeys {
  constructor(private readonly redis: Redis) {}

  async check(tenantId: string, idempotencyKey: string, hash: string): Promise<IdempotencyCheck> {
    const raw = await this.redis.get(keyFor(tenantId, idempotencyKey));
    return interpret(raw, hash);
  }

  /** Claims the key for a new job; when another request claimed it first, says what that means. */
  async claim(tenantId: string, idempotencyKey: string, hash: string, jobId: string): Promise<IdempotencyCheck> {
    const key = keyFor(tenantId, idempotencyKey);
    const set = await this.redis.set(key, JSON.stringify({ hash, jobId }), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX');
    if (set === 'OK') return { kind: 'new' };
    return interpret(await this.redis.get(key), hash);
  }

  async forget(tenantId: string, idempotencyKey: string): Promise<void> {
    await this.redis.del(keyFor(tenantId, idempotencyKey));
  }
}

function interpret(raw: string | null, hash: string): IdempotencyCheck {
  if (!raw) return { kind: 'new' };
  const stored = JSON.parse(raw) as { hash: string; jobId: string };
  return stored.hash === hash ? { kind: 'replay', jobId: stored.jobId } : { kind: 'conflict' };
}
