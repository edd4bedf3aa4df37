/**
 * The language versions a worker reads from a sandbox image, kept on disk by
 * the image's id (worker/sandbox-host/versions-cache.ts), against the real
 * Docker engine's image ids.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { VersionsCache } from '../../worker/sandbox-host/versions-cache.ts';
import { docker } from '../support/sandbox.ts';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'versions-cache-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A probe that answers `versions` and counts its calls. */
function probe(versions: Record<string, string>) {
  const counted = Object.assign(async () => (counted.calls++, versions), { calls: 0 });
  return counted;
}

describe('the versions cache', () => {
  const image = () => inject('sandboxImage');

  it('probes an image once, then answers from the cache by its id', async () => {
    const cache = new VersionsCache(docker, dir);
    const read = probe({ python: 'Python 3.13.5', bash: 'GNU bash 5.2' });

    expect(await cache.versions(image(), ['python', 'bash'], read)).toEqual({ python: 'Python 3.13.5', bash: 'GNU bash 5.2' });
    expect(await new VersionsCache(docker, dir).versions(image(), ['python', 'bash'], read)).toEqual({ python: 'Python 3.13.5', bash: 'GNU bash 5.2' });

    expect(read.calls).toBe(1);
    const id = (await docker.getImage(image()).inspect()).Id.replace(/^sha256:/, '');
    expect(readdirSync(dir)).toEqual([`${id}.json`]);
  });

  it('does not keep a probe that missed a language, so the next start probes again', async () => {
    const cache = new VersionsCache(docker, dir);
    const read = probe({ python: 'Python 3.13.5', bash: '' });

    await cache.versions(image(), ['python', 'bash'], read);
    await cache.versions(image(), ['python', 'bash'], read);

    expect(read.calls).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('probes again for a language the cached entry lacks, and for an unreadable entry', async () => {
    const cache = new VersionsCache(docker, dir);
    await cache.versions(image(), ['python'], probe({ python: 'Python 3.13.5' }));
    const more = probe({ python: 'Python 3.13.5', bash: 'GNU bash 5.2' });

    expect(await cache.versions(image(), ['python', 'bash'], more)).toEqual({ python: 'Python 3.13.5', bash: 'GNU bash 5.2' });
    expect(more.calls).toBe(1);

    writeFileSync(join(dir, readdirSync(dir)[0]!), '{"versions": ');
    const again = probe({ python: 'Python 3.13.6' });
    expect(await cache.versions(image(), ['python'], again)).toEqual({ python: 'Python 3.13.6' });
    expect(again.calls).toBe(1);
  });

  it('always probes an image the engine does not have (no id to key it by)', async () => {
    const cache = new VersionsCache(docker, dir);
    const read = probe({ python: 'Python 3.13.5' });

    await cache.versions('runplane-sandbox:no-such-image', ['python'], read);
    await cache.versions('runplane-sandbox:no-such-image', ['python'], read);

    expect(read.calls).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});
