/**
 * `GET /languages`: every supported language with the runtime version that a
 * worker read from the sandbox image at start-up (stored in Redis). Until a
 * worker has reported, `version` is null.
 */
import type { Redis } from 'ioredis';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import { LANGUAGES, LANGUAGE_IDS } from '../../core/languages.ts';

export async function listLanguages(redis: Redis) {
  const versions = await redis.hgetall(redisKeys.languages);
  return {
    languages: LANGUAGE_IDS.map((id) => ({
      id,
      name: LANGUAGES[id].name,
      version: versions[id] ?? null,
      compiled: Boolean(LANGUAGES[id].compile),
    })),
    image: versions.image ?? null,
  };
}
