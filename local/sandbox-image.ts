/**
 * The sandbox image this checkout's recipe builds (runplane-sandbox:<hash of
 * the recipe>), so the local stack, the tests and the benchmark always run the
 * supervisor in the image made for it, never a `latest` left by another checkout.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export function sandboxImageTag(): string {
  return execFileSync('bash', [resolve(import.meta.dirname, '../scripts/sandbox-image-tag.sh')], { encoding: 'utf8' }).trim();
}
