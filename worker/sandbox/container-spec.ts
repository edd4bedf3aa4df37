/**
 * How a sandbox container is created. Everything a job could use to escape or
 * hurt its neighbours is closed here: no network, read-only root, tmpfs work
 * dir, no capabilities but the three the supervisor needs to start programs
 * as an unprivileged user, no privilege gain, and cgroup limits on memory (no
 * swap), processes and CPU. The runtime is runc, or gVisor's runsc for the
 * tier that puts a user-space kernel between the program and the host.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ContainerCreateOptions } from 'dockerode';

export const MANAGED_LABEL = 'io.runplane.managed';
export const WORK_DIR = '/work';
export const SUPERVISOR_IN_CONTAINER = '/opt/runplane/supervisor.py';
export const SUPERVISOR_ON_HOST = fileURLToPath(new URL('./supervisor.py', import.meta.url));

export type ContainerRuntime = 'runc' | 'runsc';

export interface SandboxSpec {
  image: string;
  workerId: string;
  runtime: ContainerRuntime;
  memoryMb: number;
  pidsLimit: number;
  cpus: number;
  workDirMb: number;
}

/** Per-container extras decided at creation (the AI gateway's socket directory). */
export interface ContainerExtras {
  aiSocketDir?: string;
}

export function containerLabels(workerId: string, runtime: ContainerRuntime): Record<string, string> {
  return {
    [MANAGED_LABEL]: 'true',
    'io.runplane.worker': workerId,
    'io.runplane.runtime': runtime,
    'io.runplane.host': hostname(),
    'io.runplane.pid': String(process.pid),
  };
}

/**
 * gVisor's kernel (the sentry) and its host threads live in the container's
 * cgroup next to the program, so that tier's cgroup gets room for them; the
 * program's own process limit is then enforced inside gVisor (RLIMIT_NPROC,
 * which there counts only this sandbox's processes).
 */
// Measured here: an idle gVisor sandbox holds ~13 MB; 100 MB in the program peaked at 123 MB.
const GVISOR_MEMORY_OVERHEAD_MB = 32;
const GVISOR_PIDS_OVERHEAD = 512;

export function cgroupSizes(runtime: ContainerRuntime, memoryMb: number, processes: number): { Memory: number; MemorySwap: number; PidsLimit: number } {
  const mb = runtime === 'runsc' ? memoryMb + GVISOR_MEMORY_OVERHEAD_MB : memoryMb;
  const bytes = mb * 1024 * 1024;
  return { Memory: bytes, MemorySwap: bytes, PidsLimit: runtime === 'runsc' ? processes + GVISOR_PIDS_OVERHEAD : processes };
}

export function sandboxCreateOptions(spec: SandboxSpec, extras: ContainerExtras = {}): ContainerCreateOptions {
  return {
    Image: spec.image,
    // The supervisor (root, 3 capabilities) is the container's main process; it
    // starts each program as uid 1000 with none. -I -S: ignore the environment and site.
    Cmd: ['python3', '-I', '-S', SUPERVISOR_IN_CONTAINER],
    User: '0:0',
    WorkingDir: WORK_DIR,
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8'],
    Labels: containerLabels(spec.workerId, spec.runtime),
    NetworkDisabled: true,
    Hostname: 'sandbox',
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      Runtime: spec.runtime,
      Init: true,
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      Binds: [`${SUPERVISOR_ON_HOST}:${SUPERVISOR_IN_CONTAINER}:ro`, ...(extras.aiSocketDir ? [`${extras.aiSocketDir}:/run/runplane:ro`] : [])],
      Tmpfs: {
        // Docker mounts tmpfs noexec by default; compiled programs run from here.
        [WORK_DIR]: `rw,exec,nosuid,nodev,size=${spec.workDirMb}m,uid=1000,gid=1000,mode=0700`,
        '/tmp': 'rw,noexec,nosuid,nodev,size=16m,uid=1000,gid=1000,mode=0700',
      },
      CapDrop: ['ALL'],
      CapAdd: ['SETUID', 'SETGID', 'KILL'],
      SecurityOpt: ['no-new-privileges'],
      ...cgroupSizes(spec.runtime, spec.memoryMb, spec.pidsLimit),
      NanoCpus: Math.round(spec.cpus * 1e9),
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      IpcMode: 'private',
      AutoRemove: false,
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
