/**
 * Reads each language's runtime version from the sandbox image itself (by
 * running its version command in a sandbox container) and publishes them in
 * Redis for `GET /languages`.
 */
import type { Redis } from 'ioredis';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import { LANGUAGES, LANGUAGE_IDS } from '../../core/languages.ts';
import type { WarmPool } from './warm-pool.ts';

export async function readRuntimeVersions(pool: WarmPool): Promise<Record<string, string>> {
  const leased = await pool.acquire();
  try {
    const probe = { wallTimeMs: 10_000, cpuTimeMs: 10_000, outputBytes: 4096, fileSizeBytes: 1024, openFiles: 64 };
    const versions: Record<string, string> = {};
    for (const id of LANGUAGE_IDS) {
      const [outcome] = await leased.session.run([], [{ name: 'probe', cmd: LANGUAGES[id].version, ...probe }]);
      versions[id] = ((outcome?.stdout || outcome?.stderr) ?? '').split('\n')[0]!.trim();
    }
    return versions;
  } finally {
    pool.release(leased);
  }
}

export async function publishRuntimeVersions(redis: Redis, image: string, versions: Record<string, string>): Promise<void> {
  await redis.hset(redisKeys.languages, { ...versions, image });
}
