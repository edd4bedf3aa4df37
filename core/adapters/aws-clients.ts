/**
 * AWS SDK v3 clients, built the same way in AWS and locally. Locally the
 * endpoints point at the emulators (fauxqs for SQS and S3, dynalite for
 * DynamoDB); in AWS they are unset and the SDK's defaults apply.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { BaseConfig } from '../config.ts';

export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
}

type EndpointConfig = Pick<BaseConfig, 'AWS_REGION' | 'SQS_ENDPOINT' | 'S3_ENDPOINT' | 'DYNAMODB_ENDPOINT'>;

/**
 * Emulators on this machine accept any credentials: supply fixed ones so no
 * credential chain is searched. Real endpoints (and configured credentials)
 * keep the SDK's defaults.
 */
export function localCredentials(endpoint: string | undefined) {
  if (!endpoint || process.env.AWS_ACCESS_KEY_ID || !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint)) return {};
  return { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export function createAwsClients(config: EndpointConfig): AwsClients {
  const region = config.AWS_REGION;
  const sqs = new SQSClient({
    region,
    ...(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {}),
    ...localCredentials(config.SQS_ENDPOINT),
  });
  const s3 = new S3Client({
    region,
    // Emulators have no wildcard DNS for bucket subdomains: use path-style there.
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT, forcePathStyle: true } : {}),
    ...localCredentials(config.S3_ENDPOINT),
  });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region,
      ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
      ...localCredentials(config.DYNAMODB_ENDPOINT),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return { sqs, s3, dynamo };
}
