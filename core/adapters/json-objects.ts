/** JSON documents in S3, parsed with their zod schema on the way back in. */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';

export class JsonObjects<T> {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly schema: z.ZodType<T>,
  ) {}

  async put(key: string, value: T): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
  }

  async get(key: string): Promise<T> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = await out.Body!.transformToString('utf8');
    return this.schema.parse(JSON.parse(text));
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
