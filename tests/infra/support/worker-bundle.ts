/** Builds the worker bundle with infra/build-worker-bundle.sh into a temporary folder. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './template.ts';

export interface BuiltBundle {
  version: string;
  archive: string;
  sha256: string;
}

export function buildWorkerBundle(outDir = mkdtempSync(join(tmpdir(), 'runplane-bundle-'))): BuiltBundle {
  const line = execFileSync('bash', [join(ROOT, 'infra/build-worker-bundle.sh'), outDir], { cwd: ROOT, encoding: 'utf8' }).trim();
  const [version, archive, sha256] = line.split(' ');
  if (!version || !archive || !sha256) throw new Error(`unexpected output of build-worker-bundle.sh: ${line}`);
  return { version, archive, sha256 };
}

/** Removes the folder a bundle was built into. */
export function removeBundle(bundle: BuiltBundle): void {
  rmSync(dirname(bundle.archive), { recursive: true, force: true });
}
