/** A warm pool on the real Docker engine for sandbox tests, labelled so a crashed run's containers are found. */
import Docker from 'dockerode';
import { inject } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import type { SandboxSpec } from '../../worker/sandbox/container-spec.ts';
import { WarmPool } from '../../worker/sandbox/warm-pool.ts';

export const docker = new Docker();

export function sandboxSpec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  return {
    image: inject('sandboxImage'),
    workerId: `test-${process.pid}`,
    memoryMb: 256,
    pidsLimit: 64,
    cpus: 1,
    workDirMb: 16,
    ...overrides,
  };
}

export function testPool(size = 1, spec: Partial<SandboxSpec> = {}): WarmPool {
  return new WarmPool(docker, sandboxSpec(spec), size, createLogger('test-pool', process.env.TEST_LOG_LEVEL ?? 'silent'));
}

export async function containersOf(workerId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.runplane.worker=${workerId}`] } });
}
