/**
 * The language versions read from a sandbox image, kept on the worker's disk
 * by the image's content id (`sha256:…`): an image's versions cannot change
 * without its id changing, so a worker that starts again on the same host (every
 * `npm start`, every restart of the agent) reads them back instead of running
 * the probes again: ~0.5–1 s before the agent takes jobs (the base image's
 * languages) and one container start per toolchain image in the background,
 * measured here. A cache only: anything unreadable is a miss.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { z } from 'zod';

const entrySchema = z.object({ versions: z.record(z.string(), z.string().min(1)) });

export class VersionsCache {
  constructor(
    private readonly docker: Pick<Docker, 'getImage'>,
    private readonly dir: string,
  ) {}

  /**
   * The versions of `languages` in `image`: from the cache when it holds all of them,
   * otherwise from `probe`, kept when the probe found every one (a failed probe is
   * not kept, so it runs again next time).
   */
  async versions(image: string, languages: readonly string[], probe: () => Promise<Record<string, string>>): Promise<Record<string, string>> {
    const id = await this.docker.getImage(image).inspect().then((info) => info.Id, () => undefined);
    const file = id && join(this.dir, `${id.replace(/^sha256:/, '')}.json`);
    if (file) {
      const cached = await readFile(file, 'utf8').then((text) => entrySchema.parse(JSON.parse(text)).versions).catch(() => undefined);
      if (cached && languages.every((id) => cached[id])) return pick(cached, languages);
    }
    const versions = await probe();
    if (file && languages.every((id) => versions[id])) await this.keep(file, pick(versions, languages)).catch(() => undefined);
    return versions;
  }

  private async keep(file: string, versions: Record<string, string>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Written whole, then renamed: a reader never sees half a file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify({ versions }));
    await rename(partial, file);
  }
}

function pick(versions: Record<string, string>, languages: readonly string[]): Record<string, string> {
  return Object.fromEntries(languages.map((id) => [id, versions[id]!]));
}
