/**
 * Reads each language's runtime version from the sandbox image itself, by
 * running its version command in a sandbox container (the agent publishes them
 * through core/adapters/runtime-versions.ts for `GET /languages`).
 */
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
