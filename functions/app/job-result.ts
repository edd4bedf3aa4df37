/**
 * Loads a result kept in S3 (too large for the job's DynamoDB item) back into
 * the job, so that GET /jobs/{id} and POST /run with `wait` answer with the
 * whole result, wherever it is kept.
 */
import type { ResultStore } from '../../core/adapters/result-store.ts';
import type { JobRecord } from '../../core/contract.ts';

export async function withStoredResult(job: JobRecord, results: ResultStore): Promise<JobRecord> {
  if (job.result || !job.resultKey) return job;
  return { ...job, result: await results.get(job.resultKey) };
}
