/** Job inputs (source + stdin) in S3: the durable, auditable copy of what ran. */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { jobInputSchema, type JobInput } from '../contract.ts';

export class CodeStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  static keyFor(jobId: string): string {
    return `jobs/${jobId}/input.json`;
  }

  async put(key: string, input: JobInput): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(input),
        ContentType: 'application/json',
      }),
    );
  }

  async get(key: string): Promise<JobInput> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = await out.Body!.transformToString('utf8');
    return jobInputSchema.parse(JSON.parse(text));
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
