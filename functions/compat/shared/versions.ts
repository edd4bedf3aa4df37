/**
 * Runtime versions as the emulated APIs show them. Workers publish the first
 * line of each runtime's `--version` (`Python 3.11.2`, `v20.19.2`,
 * `gcc (Debian 12.2.0-14) 12.2.0`, `GNU bash, version 5.2.15(1)-release …`);
 * Judge0 names and Piston's semver want just `3.11.2`.
 */
import type { LanguageId } from '../../../core/languages.ts';

export type RuntimeVersions = Partial<Record<LanguageId, string | null>>;

/** The first x.y.z in a version line (x.y gets .0), or null when there is none. */
export function semverOf(line: string | null | undefined): string | null {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(line ?? '');
  return match ? `${match[1]}.${match[2]}.${match[3] ?? '0'}` : null;
}

/** From `listLanguages()`'s answer to a map of language → semver (null until a worker has reported). */
export function runtimeVersions(listed: { languages: { id: LanguageId; version: string | null }[] }): RuntimeVersions {
  return Object.fromEntries(listed.languages.map((l) => [l.id, semverOf(l.version)]));
}
