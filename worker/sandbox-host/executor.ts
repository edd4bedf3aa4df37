/**
 * Runs a job in a container leased from the warm pool of its isolation tier,
 * sizes the container's cgroup to the job's memory and process limits when
 * they differ from the pool's, and always gives the container back, whatever
 * happened: to the pool for the next job (the job's namespaces died with it),
 * or to be destroyed when the job changed it or it broke.
 */
import type { IsolationTier, JobInput, JobLimits, JobResult } from '../../core/contract.ts';
import { LANGUAGES } from '../../core/languages.ts';
import type { Logger } from '../../core/logger.ts';
import { UnrecoverableError } from '../errors.ts';
import { cgroupSizes, type ContainerRuntime } from './container-spec.ts';
import type { LiveIO } from './live-io.ts';
import { memoryExceeded, runJob, sentryExhausted } from './run-job.ts';
import type { ToolchainPools } from './toolchain-pools.ts';
import { runTests } from './run-tests.ts';
import type { Leased, WarmPool } from './warm-pool.ts';

/** How long a container whose supervisor vanished gets to be seen exited by the engine (failure path only). */
const CONTAINER_EXIT_WAIT_MS = 5_000;

/**
 * How the sandbox ended during a job, when the job did it: its memory (`oom`),
 * or, in gVisor, its kernel (`sentry`). The engine says OOM in State.OOMKilled,
 * but learns of the exit and of the OOM from two events that may arrive in
 * either order, so after the exit it is asked again for a short while. A gVisor
 * sandbox has a second sign: the host OOM killer picks one of gVisor's own
 * processes (the kernel log shows the gofer or the sentry killed in the
 * container's memory cgroup), and the sandbox exits with SIGKILL (137) even
 * when the engine's flag stays false, which we saw on a loaded machine. Little
 * else SIGKILLs a sandbox while it runs a job: the pool removes a container
 * only after its job; an engine stop sends SIGTERM first. And gVisor's sentry,
 * a Go program, exits 2 when it panics: a Go fork bomb did that on a busy
 * machine (the sentry could not get a host thread within the pids cgroup), in
 * about half the runs. Each such end is logged with the container's state.
 */
async function sandboxEnd(leased: Pick<Leased, 'session' | 'container'>, runtime: ContainerRuntime, log: Logger): Promise<'oom' | 'sentry' | undefined> {
  if (leased.session.alive) return undefined;
  await settled(leased.container.wait({ condition: 'not-running' }), CONTAINER_EXIT_WAIT_MS);
  const deadline = Date.now() + OOM_EVENT_WAIT_MS;
  for (;;) {
    const state = await leased.container.inspect().then((i) => i.State, () => undefined);
    if (state?.OOMKilled) return 'oom';
    if (Date.now() > deadline) {
      log.warn({ container: leased.container.id.slice(0, 12), state: state && { status: state.Status, exitCode: state.ExitCode, oomKilled: state.OOMKilled }, runtime }, 'sandbox ended during a job');
      if (runtime !== 'runsc' || state?.Status !== 'exited') return undefined;
      return state.ExitCode === 137 ? 'oom' : state.ExitCode === 2 ? 'sentry' : undefined;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How long after the exit the engine may still record the OOM kill. */
const OOM_EVENT_WAIT_MS = 2_000;

function settled(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

export class TierUnavailableError extends UnrecoverableError {
  override name = 'TierUnavailableError';
}

export interface LeaseObserver {
  (isolation: IsolationTier, poolHit: boolean, containerStartMs: number): void;
}

/** Which container ran a job, for the job's execution log. */
export interface ContainerReport {
  containerId: string;
  poolHit: boolean;
  containerStartMs: number;
}

/** One job for the sandbox: the boundary between the job's delivery and where it runs. */
export interface ExecutionRequest {
  input: JobInput;
  limits: JobLimits;
  isolation: IsolationTier;
  tenantId: string;
  /** The tenant may call the AI node (tenant setting). */
  aiEnabled: boolean;
  log: Logger;
  /** Told which container ran the job. */
  onContainer?: (report: ContainerReport) => void;
  /** Streaming and interactive jobs only: output as it comes, input while it runs. */
  live?: LiveIO;
}

export type Execute = (request: ExecutionRequest) => Promise<JobResult>;

/** `toolchains`: the pools of the toolchain images (languages whose spec names one); without it, those languages cannot run. */
export function poolExecutor(pools: Partial<Record<IsolationTier, WarmPool>>, onLease?: LeaseObserver, toolchains?: Pick<ToolchainPools, 'get'>): Execute {
  return async ({ input, limits, isolation, tenantId, aiEnabled, log, onContainer, live }) => {
    if (!pools[isolation]) throw new TierUnavailableError(`isolation tier "${isolation}" is not available on this worker`);
    const toolchain = LANGUAGES[input.language].toolchain;
    if (toolchain && !toolchains) throw new TierUnavailableError(`this worker runs no toolchain images (${toolchain})`);
    const pool = toolchain ? await toolchains!.get(isolation, toolchain) : pools[isolation]!;
    const spec = pool.spec;
    // runc resizes a pooled container in place; runsc cannot, so such a job gets its own container.
    const resized = limits.memoryMb !== spec.memoryMb || limits.processes !== spec.pidsLimit;
    const leased = await pool.acquire(spec.runtime === 'runsc' ? { memoryMb: limits.memoryMb, pidsLimit: limits.processes } : undefined);
    onLease?.(isolation, leased.poolHit, leased.startMs);
    leased.ai?.activate(tenantId, aiEnabled);
    onContainer?.({ containerId: leased.container.id.slice(0, 12), poolHit: leased.poolHit, containerStartMs: leased.startMs });
    let healthy = false;
    try {
      if (spec.runtime === 'runc' && resized) {
        await leased.container.update(cgroupSizes(spec.runtime, limits.memoryMb, limits.processes));
      }
      let result: JobResult;
      try {
        result = input.tests
          ? await runTests(leased.session, input, limits, { nproc: spec.runtime === 'runsc' })
          : await runJob(leased.session, input, limits, { nproc: spec.runtime === 'runsc', ...(live ? { live } : {}) });
      } catch (error) {
        // The cgroup's OOM killer may take the whole sandbox (gVisor's kernel holds the
        // program's memory), or the program may exhaust gVisor's kernel: that is the
        // program's verdict, not our failure (and not worth a retry).
        const end = await sandboxEnd(leased, spec.runtime, log);
        if (!end) throw error;
        result = end === 'oom' ? memoryExceeded(limits) : sentryExhausted();
      }
      healthy = true;
      const ai = leased.ai?.deactivate();
      if (ai && ai.requests + ai.rejected > 0) result = { ...result, ai };
      log.debug({ poolHit: leased.poolHit, uses: leased.uses, containerStartMs: leased.startMs, container: leased.container.id.slice(0, 12), isolation }, 'sandbox run finished');
      return result;
    } finally {
      leased.ai?.deactivate(); // on the error path too: the next job must not inherit this one's access

      pool.release(leased, { reusable: healthy && !resized });
    }
  };
}
