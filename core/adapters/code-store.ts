/**
 * Job inputs (source + stdin) in S3: the durable, auditable copy of what ran, for inputs too large
 * to keep in the job's record (RECORD_INPUT_MAX_BYTES).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { jobInputSchema, type JobInput, type JobRecord } from '../contract.ts';
import { JsonObjects } from './json-objects.ts';

export class CodeStore extends JsonObjects<JobInput> {
  constructor(s3: S3Client, bucket: string) {
    super(s3, bucket, jobInputSchema);
  }

  static keyFor(jobId: string): string {
    return `jobs/${jobId}/input.json`;
  }

  /** A job's input, wherever its record says it is. */
  async inputOf(job: Pick<JobRecord, 'input' | 'inputKey'>): Promise<JobInput | undefined> {
    if (job.input) return job.input;
    return job.inputKey ? this.get(job.inputKey) : undefined;
  }
}
