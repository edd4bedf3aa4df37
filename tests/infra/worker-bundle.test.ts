/** The worker bundle instances fetch: complete, content-addressed, reproducible, and runnable with Node alone. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildWorkerBundle, removeBundle, type BuiltBundle } from './support/worker-bundle.ts';
import { ROOT } from './support/template.ts';

let bundle: BuiltBundle;
let unpacked: string;
beforeAll(() => {
  bundle = buildWorkerBundle();
  unpacked = mkdtempSync(join(tmpdir(), 'runplane-bundle-unpacked-'));
  execFileSync('tar', ['-xzf', bundle.archive, '-C', unpacked]);
});
afterAll(() => {
  removeBundle(bundle);
  rmSync(unpacked, { recursive: true, force: true });
});

/** Runs a bundled entry point with nothing in its environment but PATH. */
const runBare = (entry: string) => spawnSync(process.execPath, [join(unpacked, entry)], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 });

/** ELF e_machine of 64-bit Arm. */
const EM_AARCH64 = 183;

const SUPERVISOR_FILES = readdirSync(join(ROOT, 'sandbox/supervisor')).filter((f) => f.endsWith('.py'));
const TOOLCHAIN_RECIPES = readdirSync(join(ROOT, 'sandbox/toolchains')).filter((f) => f.endsWith('.txt'));

describe('the worker bundle', () => {
  test("holds the agent, the relay, the supervisor, esbuild's binary, the sandbox recipe and the systemd units", () => {
    const files = execFileSync('tar', ['-tzf', bundle.archive], { encoding: 'utf8' }).split('\n').filter((f) => !f.endsWith('/') && f);
    expect(files.sort()).toEqual(
      [
        './VERSION',
        './esbuild',
        './main.mjs',
        './main.mjs.map',
        './relay.mjs',
        './relay.mjs.map',
        './sandbox/Dockerfile',
        './sandbox/image-tag',
        './sandbox/packages.txt',
        './sandbox/rootfs-setup.sh',
        './sandbox/runplane-exec.c',
        ...TOOLCHAIN_RECIPES.map((f) => `./sandbox/toolchains/${f}`),
        ...SUPERVISOR_FILES.map((f) => `./supervisor/${f}`),
        './systemd/runplane-lifecycle.service',
        './systemd/runplane-relay.service',
        './systemd/runplane-worker.service',
      ].sort(),
    );
    for (const f of SUPERVISOR_FILES) expect(readFileSync(join(unpacked, 'supervisor', f))).toEqual(readFileSync(join(ROOT, 'sandbox/supervisor', f)));
  });

  test("ships esbuild's binary for the workers' architecture next to the agent, which no longer runs esbuild itself", () => {
    // esbuild's JS API needs a native binary beside it, which the bundle never had.
    expect(readFileSync(join(unpacked, 'main.mjs'), 'utf8')).not.toMatch(/ESBUILD_BINARY_PATH|knownUnixlikePackages/);
    const binary = readFileSync(join(unpacked, 'esbuild'));
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(binary.readUInt16LE(18)).toBe(EM_AARCH64); // the workers are Graviton (c7g)
    expect(statSync(join(unpacked, 'esbuild')).mode & 0o111).toBe(0o111);
  });

  test('is named by its version and reported with the checksum instances verify', () => {
    expect(basename(bundle.archive)).toBe(`${bundle.version}.tgz`);
    expect(readFileSync(join(unpacked, 'VERSION'), 'utf8').trim()).toBe(bundle.version);
    expect(createHash('sha256').update(readFileSync(bundle.archive)).digest('hex')).toBe(bundle.sha256);
  });

  test('comes out byte for byte the same when built again from the same code', () => {
    const again = buildWorkerBundle();
    removeBundle(again);
    expect(again.version).toBe(bundle.version);
    expect(again.sha256).toBe(bundle.sha256);
  });

  test('runs the agent with Node alone: without its environment it stops naming what is missing', () => {
    const agent = runBare('main.mjs');
    expect(agent.status).not.toBe(0);
    expect(agent.stderr + agent.stdout).toMatch(/JOBS_QUEUE_URL/);
  });

  test('runs the relay with Node alone: without its environment it stops naming what is missing', () => {
    const relay = runBare('relay.mjs');
    expect(relay.status).not.toBe(0);
    expect(relay.stderr + relay.stdout).toMatch(/WS_MANAGEMENT_ENDPOINT/);
  });
});
