/**
 * The runtime version of each language, as a worker read it from the sandbox
 * image at start: one Redis hash, written by workers and read by
 * `GET /languages` (and by the local stack, which waits for the first worker).
 */
import type { Redis } from 'ioredis';

export const RUNTIME_VERSIONS_KEY = 'rp:languages';
/** The hash's field that names the image the versions came from. */
const IMAGE_FIELD = 'image';

export interface PublishedVersions {
  /** Version string by language id; empty until a worker has published. */
  versions: Record<string, string>;
  image: string | null;
}

export class RuntimeVersions {
  constructor(private readonly redis: Redis) {}

  async publish(image: string, versions: Record<string, string>): Promise<void> {
    await this.redis.hset(RUNTIME_VERSIONS_KEY, { ...versions, [IMAGE_FIELD]: image });
  }

  async read(): Promise<PublishedVersions> {
    const { [IMAGE_FIELD]: image, ...versions } = await this.redis.hgetall(RUNTIME_VERSIONS_KEY);
    return { versions, image: image ?? null };
  }

  /** Whether any worker has published yet. */
  async published(): Promise<boolean> {
    return (await this.redis.exists(RUNTIME_VERSIONS_KEY)) === 1;
  }
}
