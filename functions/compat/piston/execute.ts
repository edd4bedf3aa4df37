/**
 * Piston's `POST /api/v2/execute` on our use case: submit like `POST /run`,
 * then wait for the result like `POST /run` with `wait`.
 */
import type { Tenant } from '../../../core/tenants.ts';
import type { SubmitDeps } from '../../app/submit-job.ts';
import type { CompatResponse } from '../shared/http.ts';
import { MAX_WAIT_SECONDS, submit, waitFor, type Waiter } from '../shared/submit-and-wait.ts';
import type { RuntimeVersions } from '../shared/versions.ts';
import { pistonError, translatePistonError } from './errors.ts';
import { parseExecute } from './request.ts';
import { executeView } from './result-view.ts';
import { runtimeList, versionOf } from './runtimes.ts';

export interface PistonDeps extends SubmitDeps {
  waiter: Waiter;
  versions: () => Promise<RuntimeVersions>;
}

export async function execute(body: unknown, tenant: Tenant, deps: PistonDeps): Promise<CompatResponse> {
  const versions = await deps.versions();
  const parsed = parseExecute(body, tenant, versions);
  const submitted = await submit(parsed.run, tenant, deps).catch((error: unknown) => {
    throw translatePistonError(error, parsed.fileIndex) ?? error;
  });
  const job = await waitFor(submitted.jobId, deps.waiter);
  if (!job) {
    return { statusCode: 504, body: { message: `the job did not finish within ${MAX_WAIT_SECONDS} s; it still runs as job ${submitted.jobId} (GET /jobs/{id})` }, headers: submitted.headers };
  }
  if (job.status === 'failed' || !job.result) throw pistonError(500, job.error?.message ?? 'the platform could not run the job');
  return { statusCode: 200, body: executeView(parsed.runtime, versionOf(parsed.runtime, versions), job.result), headers: submitted.headers };
}

export async function runtimes(deps: Pick<PistonDeps, 'versions'>): Promise<CompatResponse> {
  return { statusCode: 200, body: runtimeList(await deps.versions()) };
}
