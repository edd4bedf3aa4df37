/**
 * Builds a toolchain image with the checkout's own recipe
 * (scripts/build-sandbox-image.sh), for workers that run from a checkout as
 * root (the local stack). The script's progress goes to the worker's log.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Toolchain } from '../../core/languages.ts';
import type { Logger } from '../../core/logger.ts';

const BUILD_SCRIPT = fileURLToPath(new URL('../../scripts/build-sandbox-image.sh', import.meta.url));

/** A builder when this process can build images (a checkout's script, root for debootstrap's chroot), else undefined. */
export function checkoutImageBuilder(logger: Logger): ((toolchain: Toolchain) => Promise<void>) | undefined {
  if (!existsSync(BUILD_SCRIPT) || process.getuid?.() !== 0) return undefined;
  return (toolchain) =>
    new Promise((resolve, reject) => {
      const child = spawn('bash', [BUILD_SCRIPT, toolchain], { stdio: ['ignore', 'pipe', 'pipe'] });
      const log = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logger.info({ toolchain }, line.trim());
      };
      child.stdout.on('data', log);
      child.stderr.on('data', log);
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${BUILD_SCRIPT} ${toolchain} exited with ${code}`))));
    });
}
