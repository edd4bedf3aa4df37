/**
 * Starts the real services the integration tests share — redis-server, the
 * AWS emulators (fauxqs, dynalite) — and checks that a Docker engine and the
 * sandbox image are there. A missing service fails the run, naming it.
 */
import Docker from 'dockerode';
import type { TestProject } from 'vitest/node';
import { startAwsEmulators } from '../../local/aws-emulators.ts';
import { startRedisServer } from '../../local/redis-server.ts';
import { sandboxImageTag } from '../../local/sandbox-image.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    sqsEndpoint: string;
    s3Endpoint: string;
    dynamodbEndpoint: string;
    sandboxImage: string;
  }
}

export default async function setup(project: TestProject) {
  const sandboxImage = process.env.SANDBOX_IMAGE ?? sandboxImageTag();
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(`Docker engine is not reachable (${(error as Error).message}); run scripts/setup.sh or start dockerd`);
  }
  try {
    await docker.getImage(sandboxImage).inspect();
  } catch {
    throw new Error(`sandbox image ${sandboxImage} is missing; build it with scripts/build-sandbox-image.sh`);
  }
  const redis = await startRedisServer();
  const aws = await startAwsEmulators();
  project.provide('redisUrl', redis.url);
  project.provide('sqsEndpoint', aws.sqsEndpoint);
  project.provide('s3Endpoint', aws.s3Endpoint);
  project.provide('dynamodbEndpoint', aws.dynamodbEndpoint);
  project.provide('sandboxImage', sandboxImage);
  return async () => {
    await aws.stop();
    await redis.stop();
  };
}
