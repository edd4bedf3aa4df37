/** Judge0's informational endpoints: `/about`, `/system_info`, `/statuses`, `/languages`. */
import { arch, cpus, freemem, totalmem } from 'node:os';
import type { RuntimeVersions } from '../shared/versions.ts';
import { JUDGE0_VERSION } from './config.ts';
import { JUDGE0_LANGUAGES, languageName } from './languages.ts';

export function about() {
  return { version: JUDGE0_VERSION, homepage: null, source_code: null, maintainer: 'Runplane (Judge0 CE compatible API)' };
}

/** Judge0 shows `lscpu` and `free` of its host; ours is the API's own environment, for the same keys. */
export function systemInfo() {
  const cpu = cpus();
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}Gi`;
  return {
    Architecture: arch() === 'arm64' ? 'aarch64' : arch() === 'x64' ? 'x86_64' : arch(),
    'CPU(s)': String(cpu.length),
    'Model name': cpu[0]?.model ?? 'unknown',
    Mem: gib(totalmem()),
    'Mem free': gib(freemem()),
  };
}

export function languageList(versions: RuntimeVersions) {
  return JUDGE0_LANGUAGES.map((language) => ({ id: language.id, name: languageName(language, versions) }));
}
