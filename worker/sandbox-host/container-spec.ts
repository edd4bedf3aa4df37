/**
 * How a sandbox container is created. Everything a job could use to escape or
 * hurt its neighbours is closed here: no network, read-only root, no
 * capabilities but the four the supervisor needs to give each job fresh
 * namespaces and start it as an unprivileged uid of this container's own, no
 * privilege gain, and cgroup limits on memory (no swap), processes and CPU. The
 * runtime is runc, or gVisor's runsc for the tier that puts a user-space kernel
 * between the program and the host.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ContainerCreateOptions } from 'dockerode';
import { ESBUILD_IN_SANDBOX } from '../../core/languages.ts';

export const MANAGED_LABEL = 'io.runplane.managed';
export const WORK_DIR = '/work';
export const SUPERVISOR_IN_CONTAINER = '/opt/runplane/supervisor';
/**
 * The supervisor's directory on the host, bind-mounted read-only into every
 * sandbox: next to main.mjs in the worker bundle, else sandbox/supervisor/ in a
 * checkout (everything that runs inside the sandbox lives under sandbox/).
 */
export const SUPERVISOR_ON_HOST = [new URL('./supervisor', import.meta.url), new URL('../../sandbox/supervisor', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(`${dir}/main.py`)) ?? fileURLToPath(new URL('../../sandbox/supervisor', import.meta.url));

/**
 * esbuild's static binary (a self-contained Go program), which TypeScript jobs
 * run in the sandbox: the one the worker bundle ships next to main.mjs for the
 * hosts' architecture, else, in a checkout, the one npm installed for this machine.
 */
function esbuildOnHost(): string {
  const bundled = fileURLToPath(new URL('./esbuild', import.meta.url));
  if (existsSync(bundled)) return bundled;
  const name = `@esbuild/${process.platform}-${process.arch}/bin/esbuild`;
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(`esbuild's binary is missing: neither ${bundled} nor ${name} (TypeScript jobs need it)`);
  }
}
export const ESBUILD_ON_HOST = esbuildOnHost();

/**
 * Job uids: one per container, drawn from 2^24 uids above 1,000,000 (clear of
 * system users and of the usual subordinate-uid ranges), so per-uid kernel
 * budgets (processes, inotify instances, message-queue bytes, pending signals)
 * are never shared between containers. Random rather than counted because
 * several agents on one host draw independently: 100 live containers collide
 * with odds of about 3 in 10,000 — and a collision only shares those budgets.
 */
export const JOB_UID_BASE = 1_000_000;
export const JOB_UID_RANGE = 1 << 24;
export function drawJobUid(): number {
  return JOB_UID_BASE + randomInt(JOB_UID_RANGE);
}

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

/** Per-container settings decided at creation: the job uid, the AI gateway's socket directory, the pool it is for. */
export interface ContainerExtras {
  jobUid: number;
  aiSocketDir?: string;
  poolId?: string;
}

/** The label naming the warm pool a container was created for (see WarmPool.close). */
export const POOL_LABEL = 'io.runplane.pool';

export function containerLabels(workerId: string, runtime: ContainerRuntime, jobUid?: number, poolId?: string): Record<string, string> {
  return {
    ...(jobUid !== undefined ? { 'io.runplane.uid': String(jobUid) } : {}),
    ...(poolId !== undefined ? { [POOL_LABEL]: poolId } : {}),
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

export function sandboxCreateOptions(spec: SandboxSpec, extras: ContainerExtras): ContainerCreateOptions {
  return {
    Image: spec.image,
    // The supervisor (root, 4 capabilities) is the container's main process; it
    // gives each job fresh namespaces and runs it as the job uid with none.
    // -I -S: ignore the environment and site.
    Cmd: ['python3', '-I', '-S', `${SUPERVISOR_IN_CONTAINER}/main.py`, String(extras.jobUid), String(spec.workDirMb)],
    User: '0:0',
    WorkingDir: '/',
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8'],
    Labels: containerLabels(spec.workerId, spec.runtime, extras.jobUid, extras.poolId),
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
      Binds: [
        `${SUPERVISOR_ON_HOST}:${SUPERVISOR_IN_CONTAINER}:ro`,
        `${ESBUILD_ON_HOST}:${ESBUILD_IN_SANDBOX}:ro`,
        ...(extras.aiSocketDir ? [`${extras.aiSocketDir}:/run/runplane:ro`] : []),
      ],
      // No container-level tmpfs: each job mounts its own work dir, /tmp and
      // /dev/shm in its own mount namespace (supervisor/namespaces.py).
      CapDrop: ['ALL'],
      // SYS_ADMIN for namespaces and mounts; Docker's default seccomp profile
      // follows it, and supervisor/program_filter.py takes back from user
      // programs what it adds. No user program ever holds any of these.
      CapAdd: ['SYS_ADMIN', 'SETUID', 'SETGID', 'KILL'],
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
