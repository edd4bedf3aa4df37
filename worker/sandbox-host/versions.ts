/**
 * Reads each language's runtime version from the sandbox images themselves, by
 * running its version command in a sandbox container (the agent publishes them
 * through core/adapters/runtime-versions.ts for `GET /languages`): the base
 * image's languages in the base pool, a toolchain's in its own pool when this
 * host has the toolchain's image (otherwise the language has no version yet).
 * A worker that starts again on the same host reads them back from its
 * VersionsCache (by image id) instead.
 */
import { LANGUAGES, LANGUAGE_IDS, TOOLCHAINS, type LanguageId } from '../../core/languages.ts';
import type { ToolchainPools } from './toolchain-pools.ts';
import type { VersionsCache } from './versions-cache.ts';
import type { WarmPool } from './warm-pool.ts';

const PROBE = { wallTimeMs: 10_000, cpuTimeMs: 10_000, outputBytes: 4096, fileSizeBytes: 1024, openFiles: 64 };

/** Each language's version line, read by running its version command in one container of `pool`. */
async function probe(pool: WarmPool, ids: LanguageId[]): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const leased = await pool.acquire();
  try {
    for (const id of ids) {
      const [outcome] = await leased.session.run([], [{ name: 'probe', cmd: LANGUAGES[id].version, ...PROBE }]);
      versions[id] = ((outcome?.stdout || outcome?.stderr) ?? '').split('\n')[0]!.trim();
    }
  } finally {
    pool.release(leased);
  }
  return versions;
}

/** The base image's languages: the agent reads these before it takes jobs (from `cache` when it has them). */
export async function readRuntimeVersions(pool: WarmPool, cache?: VersionsCache): Promise<Record<string, string>> {
  const ids = LANGUAGE_IDS.filter((id) => !LANGUAGES[id].toolchain);
  const read = () => probe(pool, ids);
  return cache ? cache.versions(pool.spec.image, ids, read) : read();
}

/**
 * The toolchain images' languages, for the images this host has: each probe
 * starts one container of that image, so the agent reads these after it
 * started taking jobs, and publishes them when they come. The container is
 * removed after its probe: a toolchain's pool opens only for its jobs. An image
 * whose versions `cache` holds starts no container.
 */
export async function readToolchainVersions(toolchains: Pick<ToolchainPools, 'once' | 'has' | 'image'>, cache?: VersionsCache): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const toolchain of TOOLCHAINS) {
    if (!(await toolchains.has(toolchain))) continue;
    const ids = LANGUAGE_IDS.filter((id) => LANGUAGES[id].toolchain === toolchain);
    const read = () => toolchains.once(toolchain, (pool) => probe(pool, ids));
    Object.assign(versions, cache ? await cache.versions(toolchains.image(toolchain)!, ids, read) : await read());
  }
  return versions;
}
