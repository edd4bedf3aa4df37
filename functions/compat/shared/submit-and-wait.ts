/**
 * Execute-style endpoints (Piston's execute, Judge0's `wait=true`) submit
 * through the same use case as `POST /run` and then wait for the result the
 * way `POST /run` with `wait` does: on the environment's one Redis subscriber.
 */
import type { JobRecord, RunRequest } from '../../../core/contract.ts';
import type { Tenant } from '../../../core/tenants.ts';
import { submitJob, type SubmitDeps, type SubmitOptions } from '../../app/submit-job.ts';

/** API Gateway ends a request at 29 s: leave room to answer. */
export const MAX_WAIT_SECONDS = 25;

export interface Waiter {
  wait(jobId: string, seconds: number): Promise<JobRecord | undefined>;
}

export interface Submitted {
  jobId: string;
  /** RateLimit-* headers of the admission, as POST /run sends them. */
  headers: Record<string, string>;
}

/** `body` is a `POST /run` body without `wait`; errors are the use case's own (ApiError). */
export async function submit(body: Omit<RunRequest, 'wait' | 'stdin' | 'args' | 'files'> & Partial<Pick<RunRequest, 'stdin' | 'args' | 'files'>>, tenant: Tenant, deps: SubmitDeps, options: SubmitOptions = {}): Promise<Submitted> {
  const submitted = await submitJob(body, tenant, deps, options);
  return { jobId: submitted.jobId, headers: submitted.headers };
}

/** The finished job, or undefined when it is still queued or running after `seconds`. */
export function waitFor(jobId: string, waiter: Waiter, seconds = MAX_WAIT_SECONDS): Promise<JobRecord | undefined> {
  return waiter.wait(jobId, Math.min(seconds, MAX_WAIT_SECONDS));
}
