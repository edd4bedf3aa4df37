/** A warm pool on the real Docker engine for sandbox tests, labelled so a crashed run's containers are found. */
import Docker from 'dockerode';
import { afterAll, beforeAll, inject } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import type { SandboxSpec } from '../../worker/sandbox-host/container-spec.ts';
import { WarmPool, type PoolOptions } from '../../worker/sandbox-host/warm-pool.ts';

export const docker = new Docker();

export function sandboxSpec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    image: inject('sandboxImage'),
    workerId: `test-${process.pid}`,
    runtime: 'runc',
    memoryMb: 256,
    pidsLimit: 64,
    cpus: 1,
    workDirMb: 16,
    ...overrides,
  };
}

export function testPool(size = 1, spec: Partial<SandboxSpec> = {}, options: PoolOptions = {}): WarmPool {
  return new WarmPool(docker, sandboxSpec(spec), size, createLogger('test-pool', process.env.TEST_LOG_LEVEL ?? 'silent'), options);
}

export async function containersOf(workerId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.runplane.worker=${workerId}`] } });
}

import type { IsolationTier, JobInput, JobLimits, JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import { ToolchainPools } from '../../worker/sandbox-host/toolchain-pools.ts';

export const TIERS: { tier: IsolationTier; runtime: 'runc' | 'runsc' }[] = [
  { tier: 'standard', runtime: 'runc' },
  { tier: 'gvisor', runtime: 'runsc' },
];

/** Fails (naming the service) when dockerd has no runsc runtime: the gVisor tier is part of the product. */
export async function assertGvisorRuntime(): Promise<void> {
  const info = (await docker.info()) as { Runtimes?: Record<string, unknown> };
  if (!info.Runtimes?.runsc) throw new Error('dockerd has no "runsc" runtime (gVisor); run scripts/setup.sh to register it');
}

export type RunInput = Partial<JobInput> & Pick<JobInput, 'language'>;

/** The toolchain images' pools next to a test's base pool, as the worker makes them (closed by the test). */
export function testToolchainPools(pool: WarmPool, tier: IsolationTier): ToolchainPools {
  return new ToolchainPools(docker, () => ({ [tier]: pool.spec }), createLogger('test-toolchains', process.env.TEST_LOG_LEVEL ?? 'silent'), { warmSize: 1, idleMs: 10 * 60_000 });
}

/** Runs one job the way the worker does, in a container from `pool` (or a toolchain's pool); says which container ran it. */
export function runner(pool: WarmPool, tier: IsolationTier, defaultTenant = 'acme', toolchains?: ToolchainPools) {
  const execute = poolExecutor({ [tier]: pool }, undefined, toolchains);
  const logger = createLogger('test-run', 'silent');
  return async (input: RunInput, limits: Partial<JobLimits> = {}, tenantId = defaultTenant): Promise<JobResult & { containerId: string }> => {
    let containerId = '';
    const result = await execute({
      input: { stdin: '', args: [], files: [], ...input },
      limits: { ...DEFAULT_LIMITS, ...limits },
      isolation: tier,
      tenantId,
      aiEnabled: true,
      log: logger,
      onContainer: (report) => (containerId = report.containerId),
    });
    return { ...result, containerId };
  };
}

/**
 * For a `describe.each(TIERS)` block: a warm pool of `size` containers in the tier, started before
 * the block's tests (the gVisor runtime checked first) and closed after them, with the toolchain
 * images' pools beside it when asked, and a `run` over them. `run` may be taken out at once
 * (`const { run } = tierSandbox(…)`): it reaches the pool made in beforeAll when called.
 */
export function tierSandbox(
  { tier, runtime }: (typeof TIERS)[number],
  name: string,
  options: { size?: number; toolchains?: boolean } = {},
) {
  let current: ReturnType<typeof runner> | undefined;
  let pool: WarmPool | undefined;
  let toolchains: ToolchainPools | undefined;
  beforeAll(async () => {
    if (runtime === 'runsc') await assertGvisorRuntime();
    pool = testPool(options.size ?? 1, { runtime, workerId: `${name}-${tier}-${process.pid}` });
    await pool.start();
    if (options.toolchains) toolchains = testToolchainPools(pool, tier);
    current = runner(pool, tier, 'acme', toolchains);
  });
  afterAll(async () => {
    await toolchains?.close();
    await pool?.close();
  });
  return { run: (...args: Parameters<ReturnType<typeof runner>>) => current!(...args) };
}
