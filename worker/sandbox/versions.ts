/**
 * Reads each language's runtime version from the sandbox image itself (by
 * running its version command in a sandbox container) and publishes them in
 * Redis for `GET /languages`.
 */
import type { Redis } from 'ioredis';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import { LANGUAGES, LANGUAGE_IDS } from '../../core/languages.ts';
import { execInContainer } from './exec.ts';
import type { WarmPool } from './warm-pool.ts';

export async function readRuntimeVersions(pool: WarmPool): Promise<Record<string, string>> {
  const leased = await pool.acquire();
  try {
    const versions: Record<string, string> = {};
    for (const id of LANGUAGE_IDS) {
      const out = await execInContainer(leased.container, LANGUAGES[id].version, { stdin: Buffer.alloc(0), timeoutMs: 10_000, outputBytes: 4096 });
      versions[id] = (out.stdout || out.stderr).split('\n')[0]!.trim();
    }
    return versions;
  } finally {
    pool.release(leased.container);
  }
}

export async function publishRuntimeVersions(redis: Redis, image: string, versions: Record<string, string>): Promise<void> {
  await redis.hset(redisKeys.languages, { ...versions, image });
}
