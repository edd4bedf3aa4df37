/**
 * How a sandbox container is created. Everything a job could use to escape or
 * hurt its neighbours is closed here: no network, read-only root, tmpfs work
 * dir, no capabilities, no privilege gain, an unprivileged user, and cgroup
 * limits on memory (no swap), processes and CPU.
 */
import { hostname } from 'node:os';
import type { ContainerCreateOptions } from 'dockerode';

export const MANAGED_LABEL = 'io.runplane.managed';
export const SANDBOX_USER = '1000:1000';
export const WORK_DIR = '/work';

export interface SandboxSpec {
  image: string;
  workerId: string;
  memoryMb: number;
  pidsLimit: number;
  cpus: number;
  workDirMb: number;
}

export function containerLabels(workerId: string): Record<string, string> {
  return {
    [MANAGED_LABEL]: 'true',
    'io.runplane.worker': workerId,
    'io.runplane.host': hostname(),
    'io.runplane.pid': String(process.pid),
  };
}

export function sandboxCreateOptions(spec: SandboxSpec): ContainerCreateOptions {
  const memoryBytes = spec.memoryMb * 1024 * 1024;
  return {
    Image: spec.image,
    // tini (Init) as PID 1 reaps orphans; `sleep` only keeps the container alive between execs.
    Cmd: ['sleep', 'infinity'],
    User: SANDBOX_USER,
    WorkingDir: WORK_DIR,
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/work', 'LANG=C.UTF-8', 'TMPDIR=/tmp'],
    Labels: containerLabels(spec.workerId),
    NetworkDisabled: true,
    Hostname: 'sandbox',
    HostConfig: {
      Init: true,
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Tmpfs: {
        [WORK_DIR]: `rw,exec,nosuid,nodev,size=${spec.workDirMb}m,uid=1000,gid=1000,mode=0700`,
        '/tmp': 'rw,nosuid,nodev,noexec,size=16m,uid=1000,gid=1000,mode=0700',
      },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      PidsLimit: spec.pidsLimit,
      NanoCpus: Math.round(spec.cpus * 1e9),
      Ulimits: [
        { Name: 'nofile', Soft: 256, Hard: 256 },
        { Name: 'core', Soft: 0, Hard: 0 },
      ],
      IpcMode: 'private',
      AutoRemove: false,
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
