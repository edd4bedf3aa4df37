/**
 * Runs a job in a container leased from the warm pool of its isolation tier,
 * sizes the container's cgroup to the job's memory and process limits when
 * they differ from the pool's, and always gives the container back, whatever
 * happened: to the pool for the next job (the job's namespaces died with it),
 * or to be destroyed when the job changed it or it broke.
 */
import type { IsolationTier, JobInput, JobLimits, JobResult } from '../../core/contract.ts';
import type { Logger } from '../../core/logger.ts';
import { UnrecoverableError } from '../errors.ts';
import { cgroupSizes, type ContainerRuntime } from './container-spec.ts';
import type { LiveIO } from './live-io.ts';
import { memoryExceeded, runJob } from './run-job.ts';
import { runTests } from './run-tests.ts';
import type { Leased, WarmPool } from './warm-pool.ts';

/** How long a container whose supervisor vanished gets to be seen exited by the engine (failure path only). */
const CONTAINER_EXIT_WAIT_MS = 5_000;

/**
 * Whether the sandbox died of its memory cgroup's OOM killer. The engine says
 * so in State.OOMKilled, but learns of the exit and of the OOM from two events
 * that may arrive in either order, so after the exit it is asked again for a
 * short while. A gVisor sandbox has a second sign: the host OOM killer picks
 * one of gVisor's own processes (the kernel log shows the gofer or the sentry
 * killed in the container's memory cgroup), and the sandbox exits with SIGKILL
 * (137) even when the engine's flag stays false, which we saw on a loaded
 * machine. Little else SIGKILLs a sandbox while it runs a job: the pool
 * removes a container only after its job; an engine stop sends SIGTERM first.
 * Each such end is logged with the container's state.
 */
async function killedByOom(leased: Pick<Leased, 'session' | 'container'>, runtime: ContainerRuntime, log: Logger): Promise<boolean> {
  if (leased.session.alive) return false;
  await settled(leased.container.wait({ condition: 'not-running' }), CONTAINER_EXIT_WAIT_MS);
  const deadline = Date.now() + OOM_EVENT_WAIT_MS;
  for (;;) {
    const state = await leased.container.inspect().then((i) => i.State, () => undefined);
    if (state?.OOMKilled) return true;
    if (Date.now() > deadline) {
      const sigkilled = state?.Status === 'exited' && state.ExitCode === 137;
      log.warn({ container: leased.container.id.slice(0, 12), state: state && { status: state.Status, exitCode: state.ExitCode, oomKilled: state.OOMKilled }, runtime }, 'sandbox ended during a job');
      return runtime === 'runsc' && sigkilled;
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

export function poolExecutor(pools: Partial<Record<IsolationTier, WarmPool>>, onLease?: LeaseObserver): Execute {
  return async ({ input, limits, isolation, tenantId, aiEnabled, log, onContainer, live }) => {
    const pool = pools[isolation];
    if (!pool) throw new TierUnavailableError(`isolation tier "${isolation}" is not available on this worker`);
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
        // program's memory): that is the program's verdict, not our failure.
        if (!(await killedByOom(leased, spec.runtime, log))) throw error;
        result = memoryExceeded(limits);
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
