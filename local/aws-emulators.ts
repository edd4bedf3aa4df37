/**
 * Local stand-ins for AWS, started in this process: fauxqs (SQS + S3) and
 * dynalite (DynamoDB). Everything else talks to them through the ordinary
 * AWS SDK clients, exactly as it talks to AWS.
 */
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { freePort } from './ports.ts';

export interface AwsEmulators {
  sqsEndpoint: string;
  s3Endpoint: string;
  dynamodbEndpoint: string;
  stop(): Promise<void>;
}

export async function startAwsEmulators(): Promise<AwsEmulators> {
  const fauxqs = await startFauxqs({ port: await freePort(), logger: false });
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await freePort();
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(dynamoPort, '127.0.0.1', () => resolve());
  });
  return {
    sqsEndpoint: fauxqs.address,
    s3Endpoint: fauxqs.address,
    dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
    async stop() {
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
