/**
 * `GET /jobs/{id}`: the hot state in Redis first, DynamoDB when it has
 * expired. Another tenant's job answers 404, exactly like a missing one, so a
 * caller cannot learn that a job id exists.
 */
import type { AdmissionControl } from '../../core/adapters/admission.ts';
import type { HotState } from '../../core/adapters/hot-state.ts';
import type { JobsStore } from '../../core/adapters/jobs-store.ts';
import type { ResultStore } from '../../core/adapters/result-store.ts';
import { publicJobView, type PublicJobView } from '../../core/contract.ts';
import { notFound } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Tenant } from '../../core/tenants.ts';
import { takeReadToken } from './admission-steps.ts';
import { withStoredResult } from './job-result.ts';

export interface GetJobDeps {
  hot: HotState;
  jobs: JobsStore;
  results: ResultStore;
  logger: Logger;
  /** The tenant's read bucket; absent: no read limit (tests of the read path alone). */
  admission?: AdmissionControl;
}

const JOB_ID = /^[A-Za-z0-9-]{1,64}$/;

export async function getJob(jobId: string | undefined, tenant: Tenant, deps: GetJobDeps, options: { includeLog?: boolean } = {}): Promise<PublicJobView> {
  await takeReadToken(tenant, deps.admission, deps.logger);
  if (!jobId || !JOB_ID.test(jobId)) throw notFound('job');
  const job = (await deps.hot.get(jobId)) ?? (await deps.jobs.get(jobId));
  if (!job || job.tenantId !== tenant.tenantId) throw notFound('job');
  return publicJobView(await withStoredResult(job, deps.results), options);
}
