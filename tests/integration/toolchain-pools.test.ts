/**
 * The toolchain images' pools (worker/sandbox-host/toolchain-pools.ts) on the
 * real engine: made on a language's first job, the image built once when a
 * host lacks it and may build it, refused with a named cause when it may not,
 * and closed, containers and all, after idling. Each test names its images
 * with tags of its own, pointing at the images the recipe built.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JobInput } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { createLogger } from '../../core/logger.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import { checkoutImageBuilder } from '../../worker/sandbox-host/image-builder.ts';
import { ToolchainMissingError, ToolchainPools, toolchainImage } from '../../worker/sandbox-host/toolchain-pools.ts';
import { readToolchainVersions } from '../../worker/sandbox-host/versions.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { containersOf, docker, testPool } from '../support/sandbox.ts';
import { until } from '../support/until.ts';

const logger = createLogger('test-toolchains', process.env.TEST_LOG_LEVEL ?? 'silent');
const HELLO_JAVA: JobInput = { language: 'java', source: 'public class Main { public static void main(String[] a) { System.out.println("hi"); } }', stdin: '', args: [], files: [] };
const JVM_TEST_MS = 120_000;

async function tag(source: string, target: string): Promise<void> {
  const [repo, tagName] = target.split(':') as [string, string];
  await docker.getImage(source).tag({ repo, tag: tagName });
}

describe('toolchain pools', () => {
  const workerId = `toolchains-${process.pid}`;
  const baseTag = `runplane-sandbox:toolchain-test-${process.pid}`;
  let pool: WarmPool;
  beforeAll(async () => {
    await tag(inject('sandboxImage'), baseTag);
    pool = testPool(1, { image: baseTag, workerId });
    await pool.start();
  });
  afterAll(async () => {
    await pool?.close();
    for (const image of [baseTag, toolchainImage(baseTag, 'jvm')]) await docker.getImage(image).remove().catch(() => undefined);
  });

  const pools = (options: Partial<ConstructorParameters<typeof ToolchainPools>[3]> = {}) =>
    new ToolchainPools(docker, () => ({ standard: pool.spec }), logger, { warmSize: 1, idleMs: 600_000, ...options });
  const execute = (toolchains: ToolchainPools, input: JobInput = HELLO_JAVA) =>
    poolExecutor({ standard: pool }, undefined, toolchains)({ input, limits: DEFAULT_LIMITS, isolation: 'standard', tenantId: 'acme', aiEnabled: false, log: logger });

  it('refuses a job whose toolchain image this host lacks and may not build, naming the image and the build command', async () => {
    const toolchains = pools();
    try {
      const failed = execute(toolchains);
      await expect(failed).rejects.toBeInstanceOf(ToolchainMissingError);
      await expect(failed).rejects.toThrow(`${toolchainImage(baseTag, 'jvm')} is not on this worker (build it: scripts/build-sandbox-image.sh jvm)`);
    } finally {
      await toolchains.close();
    }
  });

  it('builds a missing image once for concurrent jobs, then runs them from its pool', async () => {
    let builds = 0;
    // The "build" points our tag at the image the recipe built: the pool cannot tell the difference.
    const toolchains = pools({ buildImage: async (toolchain) => (builds++, await tag(`${inject('sandboxImage')}-${toolchain}`, toolchainImage(baseTag, toolchain))) });
    try {
      const results = await Promise.all([execute(toolchains), execute(toolchains)]);
      expect(results.map((r) => [r.verdict, r.stdout])).toEqual([['ok', 'hi\n'], ['ok', 'hi\n']]);
      expect(builds).toBe(1);
      expect(Object.keys(toolchains.sizes())).toEqual(['standard/jvm']);
    } finally {
      await toolchains.close();
    }
  }, JVM_TEST_MS);

  it("builds with the checkout's own recipe script, which passes an image already built through", async () => {
    const lines: string[] = [];
    const recorder = { ...logger, info: (_fields: object, line: string) => void lines.push(line) } as unknown as typeof logger;
    const build = checkoutImageBuilder(recorder);
    if (!build) throw new Error('the checkout image builder needs root (debootstrap and chroot): run the tests as root, as scripts/setup.sh does');
    await build('rust');
    expect(lines).toContain(`[sandbox] image ${inject('sandboxImage')}-rust is present`);
  }, JVM_TEST_MS);

  it('closes a pool that idled, leaving no container of its image', async () => {
    await tag(`${inject('sandboxImage')}-jvm`, toolchainImage(baseTag, 'jvm'));
    const toolchains = pools({ idleMs: 1_000 });
    try {
      expect((await execute(toolchains)).verdict).toBe('ok');
      await until(async () => (Object.keys(toolchains.sizes()).length === 0 ? true : undefined), 'the idle pool to close', 60_000);
      const jvmContainers = async () => (await containersOf(workerId)).filter((c) => c.Image === toolchainImage(baseTag, 'jvm'));
      await until(async () => ((await jvmContainers()).length === 0 ? true : undefined), 'its containers to go', 60_000);
      // The base pool is untouched.
      expect(pool.size.ready + pool.size.creating).toBe(1);
    } finally {
      await toolchains.close();
    }
  }, JVM_TEST_MS);

  it('reads the toolchain languages\' versions with one container each, and leaves no pool or container open', async () => {
    await tag(`${inject('sandboxImage')}-jvm`, toolchainImage(baseTag, 'jvm'));
    const toolchains = pools();
    try {
      const versions = await readToolchainVersions(toolchains);
      expect(versions.java).toMatch(/\b21\b/);
      expect(toolchains.sizes()).toEqual({});
      // No container of the JVM image is left to this worker (the probe's is removed when it ends).
      expect((await containersOf(workerId)).filter((c) => c.Image === toolchainImage(baseTag, 'jvm'))).toEqual([]);
    } finally {
      await toolchains.close();
    }
  }, JVM_TEST_MS);
});
