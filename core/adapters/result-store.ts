/**
 * Results too large for the job's DynamoDB item (400 KB, and output may be
 * 1 MiB per stream), kept in S3 in the code bucket. The record then holds only
 * the object's key; readers load it back (functions/app/job-result.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { jobResultSchema, type JobResult } from '../contract.ts';
import { JsonObjects } from './json-objects.ts';

/** Results up to this size (as JSON) stay in the record: well below 400 KB with the rest of the item. */
export const RESULT_INLINE_MAX_BYTES = 100 * 1024;

export class ResultStore extends JsonObjects<JobResult> {
  constructor(s3: S3Client, bucket: string) {
    super(s3, bucket, jobResultSchema);
  }

  /**
   * One object per delivery: a redelivered job that runs again must not
   * overwrite the result that the record (completed once) points at.
   */
  static keyFor(jobId: string, attempt: number): string {
    return `results/${jobId}/${attempt}.json`;
  }
}
