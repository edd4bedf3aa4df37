/** Job inputs (source + stdin) in S3: the durable, auditable copy of what ran. */
import type { S3Client } from '@aws-sdk/client-s3';
import { jobInputSchema, type JobInput } from '../contract.ts';
import { JsonObjects } from './json-objects.ts';

export class CodeStore extends JsonObjects<JobInput> {
  constructor(s3: S3Client, bucket: string) {
    super(s3, bucket, jobInputSchema);
  }

  static keyFor(jobId: string): string {
    return `jobs/${jobId}/input.json`;
  }
}
