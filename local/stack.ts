/**
 * `npm start`: the whole Runplane stack on this machine, in the foreground.
 * Redis, SQS/S3 (fauxqs) and DynamoDB (dynalite) stand in for AWS; the same
 * Lambda handlers run under serverless-offline; worker agents run as local
 * processes against the local Docker engine. Ctrl-C stops all of it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiKeysStore } from '../core/adapters/api-keys-store.ts';
import { createAwsClients } from '../core/adapters/aws-clients.ts';
import { redisKeys } from '../core/adapters/redis-keys.ts';
import { QueueDepth } from '../core/adapters/queue-depth.ts';
import { LocalAutoscaler } from '../scaling/local-autoscaler.ts';
import { hashApiKey, tenantLimitsSchema } from '../core/tenants.ts';
import { parseEnv } from '../core/config.ts';
import { startAwsEmulators } from './aws-emulators.ts';
import { assertPortFree, freePort, waitForPort } from './ports.ts';
import { startProcess, type Managed } from './processes.ts';
import { provision } from './provision.ts';
import { startRedisServer } from './redis-server.ts';
import { sandboxImageTag } from './sandbox-image.ts';

// Node 20 is the supported floor here; the SDK's Node 22 notice is noise in every log.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = resolve(import.meta.dirname, '..');
const STATE_DIR = join(ROOT, '.runplane');

const env = parseEnv(
  z.object({
    HTTP_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    WS_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
    RUNPLANE_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    WORKERS: z.coerce.number().int().min(1).max(8).default(1),
    /** 1: a local autoscaler starts and stops agents by the ASG's policy, between WORKERS and AUTOSCALE_MAX. */
    AUTOSCALE: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
    AUTOSCALE_MAX: z.coerce.number().int().min(1).max(16).default(4),
    /** CloudWatch evaluates every minute; a local demo may want seconds. */
    AUTOSCALE_PERIOD_MS: z.coerce.number().int().min(1000).default(60_000),
    /** WebSocket relays (each holds one Redis subscriber; several show exactly-once pushes). */
    RELAYS: z.coerce.number().int().min(0).max(8).default(1),
    LOG_LEVEL: z.string().default('info'),
  }),
);

function devApiKey(): string {
  if (env.RUNPLANE_API_KEY) return env.RUNPLANE_API_KEY;
  const file = join(STATE_DIR, 'dev-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `rp_dev_${randomBytes(16).toString('hex')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);

async function main() {
  const logDir = join(STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const apiKey = devApiKey();
  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const stop of stoppers.reverse()) await stop().catch((err: Error) => say(`stop failed: ${err.message}`));
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    await assertPortFree(env.HTTP_PORT, 'HTTP_PORT');
    await assertPortFree(env.WS_PORT, 'WS_PORT');
    const redis = await startRedisServer();
    stoppers.push(redis.stop);
    const aws = await startAwsEmulators();
    stoppers.push(aws.stop);
    const region = 'us-east-1';
    const resources = await provision(
      { region, ...aws },
      { jobsTable: 'runplane-local-jobs', apiKeysTable: 'runplane-local-api-keys', codeBucket: 'runplane-local-code', jobsQueue: 'runplane-local-jobs' },
    );
    say(`redis ${redis.url}, sqs+s3 ${aws.sqsEndpoint}, dynamodb ${aws.dynamodbEndpoint}`);

    const shared = {
      ...process.env,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      REDIS_URL: redis.url,
      SQS_ENDPOINT: aws.sqsEndpoint,
      S3_ENDPOINT: aws.s3Endpoint,
      DYNAMODB_ENDPOINT: aws.dynamodbEndpoint,
      JOBS_TABLE: resources.jobsTable,
      CODE_BUCKET: resources.codeBucket,
      JOBS_QUEUE_URL: resources.jobsQueueUrl,
      JOBS_DLQ_URL: resources.jobsDlqUrl,
      API_KEYS_TABLE: resources.apiKeysTable,
      WS_MANAGEMENT_ENDPOINT: `http://127.0.0.1:${env.WS_PORT}`,
      LOG_LEVEL: env.LOG_LEVEL,
      // The image this checkout's recipe builds (scripts/setup.sh made sure it exists).
      SANDBOX_IMAGE: process.env.SANDBOX_IMAGE ?? sandboxImageTag(),
    };
    await seedDevKey(shared, apiKey);
    // For `npm run keys` while the stack runs.
    writeFileSync(join(STATE_DIR, 'stack.env'), (['API_KEYS_TABLE', 'DYNAMODB_ENDPOINT', 'AWS_REGION'] as const).map((k) => `${k}=${shared[k]}`).join('\n') + '\n');
    stoppers.push(async () => rmSync(join(STATE_DIR, 'stack.env'), { force: true }));

    const workers: Managed[] = [];
    // The AI node (Ollama API, deterministic mock model) that jobs reach through each worker's AI gateway.
    const aiPort = await freePort();
    const ainode = startProcess('ainode', process.execPath, ['--import', 'tsx', join(ROOT, 'ainode/main.ts')], { ...shared, AINODE_PORT: String(aiPort) }, join(logDir, 'ainode.log'));
    workers.push(ainode);
    stoppers.push(() => ainode.stop());

    const metricsUrls: string[] = [];
    let workerCount = 0;
    const startWorker = async (): Promise<Managed> => {
      const i = ++workerCount;
      const metricsPort = await freePort();
      metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      const ai = { AI_NODE_URL: `http://127.0.0.1:${aiPort}`, AI_SOCKET_DIR: join(STATE_DIR, 'ai') };
      return startProcess(`worker-${i}`, process.execPath, ['--import', 'tsx', join(ROOT, 'worker/main.ts')], { ...shared, ...ai, WORKER_ID: `local-${process.pid}-worker-${i}`, METRICS_PORT: String(metricsPort) }, join(logDir, `worker-${i}.log`));
    };
    if (env.AUTOSCALE) {
      // The same target-tracking policy as the Auto Scaling group, applied to local agent processes.
      // One client for the stack's life; the autoscaler reads every period.
      const { sqs } = createAwsClients({ AWS_REGION: region, SQS_ENDPOINT: aws.sqsEndpoint, S3_ENDPOINT: undefined, DYNAMODB_ENDPOINT: undefined });
      const depth = new QueueDepth(sqs, resources.jobsQueueUrl, 0);
      stoppers.push(async () => sqs.destroy());
      const scaler = new LocalAutoscaler({
        readQueue: () => depth.counts(),
        startAgent: startWorker,
        stopAgent: (worker) => worker.stop('SIGTERM', 30_000),
        minAgents: env.WORKERS,
        maxAgents: env.AUTOSCALE_MAX,
        periodMs: env.AUTOSCALE_PERIOD_MS,
        log: (line) => say(line),
      });
      await scaler.start();
      stoppers.push(() => scaler.stop());
    } else {
      for (let i = 1; i <= env.WORKERS; i++) {
        const worker = await startWorker();
        workers.push(worker);
        stoppers.push(() => worker.stop('SIGTERM', 30_000));
      }
    }

    for (let i = 1; i <= env.RELAYS; i++) {
      const relay = startProcess(`relay-${i}`, process.execPath, ['--import', 'tsx', join(ROOT, 'relay/main.ts')], { ...shared, RELAY_ID: `local-relay-${i}` }, join(logDir, `relay-${i}.log`));
      workers.push(relay);
      stoppers.push(() => relay.stop());
    }

    const lambdaPort = await freePort();
    const offline = startProcess(
      'serverless-offline',
      process.execPath,
      [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'local',
        '--httpPort', String(env.HTTP_PORT), '--websocketPort', String(env.WS_PORT), '--lambdaPort', String(lambdaPort),
        // Hand this environment (endpoints, table names) to the handlers, as Lambda's configuration would.
        '--localEnvironment',
        // One process like a Lambda environment that takes concurrent requests: a worker thread per
        // concurrent invocation costs ~11 ms of CPU per request here, more than the job itself.
        '--useInProcess'],
      shared,
      join(logDir, 'api.log'),
    );
    stoppers.push(() => offline.stop());
    say(`starting the API (serverless-offline), ${env.WORKERS} worker(s) and ${env.RELAYS} relay(s); logs in ${logDir}`);

    const died = Promise.race([offline, ...workers].map((p) => p.exited.then((code) => { throw new Error(`${p.name} exited (code ${code}) during start-up; see ${logDir}`); })));
    await Promise.race([Promise.all([waitForPort(env.HTTP_PORT, 120_000), waitForPort(env.WS_PORT, 120_000), waitForWorkers(redis.url, 120_000)]), died]);
    for (const p of [offline, ...workers]) {
      void p.exited.then((code) => {
        if (!stopping) {
          say(`${p.name} exited unexpectedly (code ${code}); see ${logDir}`);
          void stopAll(1);
        }
      });
    }

    process.stdout.write(`ready: http=http://127.0.0.1:${env.HTTP_PORT} ws=ws://127.0.0.1:${env.WS_PORT} key=${apiKey}\n`);
    process.stdout.write(
      `try:\n  curl -s -X POST localhost:${env.HTTP_PORT}/run -H "x-api-key: ${apiKey}" -H 'content-type: application/json' \\\n` +
        `    -d '{"language":"python","source":"print(input()[::-1])","stdin":"abc"}'\n` +
        `  curl -s localhost:${env.HTTP_PORT}/jobs/<jobId> -H "x-api-key: ${apiKey}"\n` +
        `worker metrics: ${metricsUrls.join(' ')}\n` +
        `AI node (Ollama API): http://127.0.0.1:${aiPort}\n`,
    );
  } catch (error) {
    say(`failed: ${(error as Error).message}`);
    await stopAll(1);
  }
}

/** The dev key goes into the keys table like any key, as tenant `local` with room for benchmarks. */
async function seedDevKey(shared: Record<string, string | undefined>, apiKey: string): Promise<void> {
  const { dynamo } = createAwsClients({ AWS_REGION: shared.AWS_REGION!, DYNAMODB_ENDPOINT: shared.DYNAMODB_ENDPOINT, SQS_ENDPOINT: undefined, S3_ENDPOINT: undefined });
  const limits = tenantLimitsSchema.parse({ ratePerSecond: 500, burst: 1000, maxConcurrentJobs: 2000, admin: true });
  await new ApiKeysStore(dynamo, shared.API_KEYS_TABLE!).put({ keyHash: hashApiKey(apiKey), keyId: apiKey.slice(0, 12), tenantId: 'local', limits, createdAt: new Date().toISOString() });
  dynamo.destroy();
}

/** A worker is ready once it has read the runtime versions from the sandbox image. */
async function waitForWorkers(url: string, timeoutMs: number): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await redis.exists(redisKeys.languages)) === 1) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no worker became ready');
  } finally {
    redis.disconnect();
  }
}

await main();
