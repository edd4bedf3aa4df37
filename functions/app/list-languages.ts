/**
 * `GET /languages`: every supported language with the runtime version that a
 * worker read from the sandbox image at start-up (stored in Redis). Until a
 * worker has reported, `version` is null; a language of a toolchain image that
 * no worker has built (docs/languages.md) stays null.
 */
import type { RuntimeVersions } from '../../core/adapters/runtime-versions.ts';
import { LANGUAGES, LANGUAGE_IDS } from '../../core/languages.ts';

export async function listLanguages(runtimeVersions: Pick<RuntimeVersions, 'read'>) {
  const { versions, image } = await runtimeVersions.read();
  return {
    languages: LANGUAGE_IDS.map((id) => ({
      id,
      name: LANGUAGES[id].name,
      version: versions[id] ?? null,
      aliases: LANGUAGES[id].aliases,
      compiled: Boolean(LANGUAGES[id].compile),
    })),
    image,
  };
}
