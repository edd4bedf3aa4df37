/**
 * `npm start`: the whole Runplane stack on this machine, in the foreground.
 * Redis, SQS/S3 (fauxqs) and DynamoDB (dynalite) stand in for AWS; the same
 * Lambda handlers run under serverless-offline; worker agents run as local
 * processes against the local Docker engine. Ctrl-C stops all of it: the
 * children together (each with a grace sized to its work), then what they use.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiKeysStore } from '../core/adapters/api-keys-store.ts';
import { createAwsClients } from '../core/adapters/aws-clients.ts';
import { RuntimeVersions } from '../core/adapters/runtime-versions.ts';
import { QueueDepth } from '../core/adapters/queue-depth.ts';
import { LocalAutoscaler } from './autoscaler.ts';
import { hashApiKey, tenantLimitsSchema } from '../core/tenants.ts';
import { parseEnv } from '../core/config.ts';
import { MAX_LIMITS } from '../core/limits.ts';
import { startAwsEmulators } from './aws-emulators.ts';
import { assertPortFree, freePort, waitForPort } from './ports.ts';
import { startProcess, type Managed } from './processes.ts';
import { STOP_ALLOWANCE_MS, workerStopBudgets } from './stop-budget.ts';
import { removeWorkerContainers } from './sweep-containers.ts';
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

/** The workers' callback signing key (tenants' callback secrets derive from it), kept like the dev key. */
function callbackSigningKey(): string {
  if (process.env.CALLBACK_SIGNING_KEY) return process.env.CALLBACK_SIGNING_KEY;
  const file = join(STATE_DIR, 'callback-signing-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

const tsx = (script: string) => ['--import', 'tsx', join(ROOT, script)];
const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);

async function main() {
  const logDir = join(STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const apiKey = devApiKey();
  /** Node children alive now (API, workers, relays, AI node): stopped together. */
  const children = new Set<Managed>();
  /** Every worker id this stack started: their budgets, then the container sweep. */
  const workerIds = new Map<Managed, string>();
  /** Redis, the emulators and files: stopped after the children, which use them while they stop. */
  const services: (() => Promise<void>)[] = [];
  let redisUrl: string | undefined;
  let scaler: LocalAutoscaler<Managed> | undefined;
  let stopping = false;

  const launch = (name: string, args: string[], env: NodeJS.ProcessEnv, orphanGraceMs?: number): Managed => {
    if (stopping) throw new Error('stopping');
    const child = startProcess(name, args, env, join(logDir, `${name}.log`), { orphanGraceMs });
    children.add(child);
    void child.exited.then((code) => {
      if (!children.delete(child) || stopping) return; // stopped on purpose
      say(`${name} exited unexpectedly (code ${code}); see ${logDir}`);
      void stopAll(1, `${name} exited`);
    });
    return child;
  };
  const stopChild = async (child: Managed, budgets?: Map<string, number>) => {
    const workerId = workerIds.get(child);
    children.delete(child);
    if (workerId === undefined) return child.stop(STOP_ALLOWANCE_MS);
    budgets ??= redisUrl ? await workerStopBudgets(redisUrl, [workerId]) : new Map<string, number>();
    return child.stop(budgets.get(workerId) ?? STOP_ALLOWANCE_MS);
  };

  const stopAll = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    const all = [...children, ...workerIds.keys()];
    say(`stopping (${why})…`);
    const took: string[] = [];
    const step = async (name: string, work: () => Promise<unknown>) => {
      const t = performance.now();
      await work().catch((err: Error) => say(`${name} failed: ${err.message}`));
      took.push(`${name} ${((performance.now() - t) / 1000).toFixed(1)} s`);
    };
    // Children in parallel, each with a grace sized to its work; the autoscaler's agents are among them.
    const budgets = redisUrl ? await workerStopBudgets(redisUrl, [...workerIds.values()]) : undefined;
    await step('children', () => Promise.all([scaler?.stop(), ...[...children].map((c) => stopChild(c, budgets))]));
    await step('container sweep', async () => {
      const removed = await removeWorkerContainers([...workerIds.values()]);
      if (removed > 0) say(`removed ${removed} container(s) left by killed workers`);
    });
    await step('services', async () => {
      for (const stop of services.reverse()) await stop().catch((err: Error) => say(`stop failed: ${err.message}`));
    });
    const killed = [...new Set(all)].filter((c) => c.sigkilled).map((c) => c.name);
    say(`stopped in ${((performance.now() - started) / 1000).toFixed(1)} s (${took.join(', ')}); SIGKILL needed: ${killed.join(', ') || 'none'}`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0, signal));
  process.on('uncaughtException', (error) => {
    say(`crashed: ${error.stack ?? error.message}`);
    void stopAll(1, 'crash');
  });
  process.on('unhandledRejection', (error) => {
    say(`crashed: ${(error as Error)?.stack ?? String(error)}`);
    void stopAll(1, 'crash');
  });

  try {
    await assertPortFree(env.HTTP_PORT, 'HTTP_PORT');
    await assertPortFree(env.WS_PORT, 'WS_PORT');
    const redis = await startRedisServer();
    services.push(redis.stop);
    redisUrl = redis.url;
    const aws = await startAwsEmulators();
    services.push(aws.stop);
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
      // Toolchain images (JVM, Rust, GHC, OCaml) are built on the first job that needs one.
      BUILD_MISSING_TOOLCHAINS: process.env.BUILD_MISSING_TOOLCHAINS ?? '1',
    };
    await seedDevKey(shared, apiKey);
    // For `npm run keys` while the stack runs.
    writeFileSync(join(STATE_DIR, 'stack.env'), (['API_KEYS_TABLE', 'DYNAMODB_ENDPOINT', 'AWS_REGION'] as const).map((k) => `${k}=${shared[k]}`).join('\n') + '\n');
    services.push(async () => rmSync(join(STATE_DIR, 'stack.env'), { force: true }));

    const startedOnce: Managed[] = [];
    // The AI node (Ollama API, deterministic mock model) that jobs reach through each worker's AI gateway.
    const aiPort = await freePort();
    startedOnce.push(launch('ainode', tsx('ainode/main.ts'), { ...shared, AINODE_PORT: String(aiPort) }));

    const metricsUrls: string[] = [];
    let workerCount = 0;
    const startWorker = async (): Promise<Managed> => {
      const i = ++workerCount;
      const metricsPort = await freePort();
      metricsUrls.push(`http://127.0.0.1:${metricsPort}/metrics`);
      const ai = { AI_NODE_URL: `http://127.0.0.1:${aiPort}`, AI_SOCKET_DIR: join(STATE_DIR, 'ai') };
      const workerId = `local-${process.pid}-worker-${i}`;
      // Orphaned (the stack SIGKILLed), a worker still drains its jobs and removes its containers: the longest job's time.
      const orphanGraceMs = MAX_LIMITS.compileWallTimeMs + MAX_LIMITS.wallTimeMs + 10_000;
      const worker = launch(`worker-${i}`, tsx('worker/main.ts'), { ...shared, ...ai, CALLBACK_SIGNING_KEY: callbackSigningKey(), WORKER_ID: workerId, METRICS_PORT: String(metricsPort) }, orphanGraceMs);
      workerIds.set(worker, workerId);
      return worker;
    };
    if (env.AUTOSCALE) {
      // The same target-tracking policy as the Auto Scaling group, applied to local agent processes.
      // One client for the stack's life; the autoscaler reads every period.
      const { sqs } = createAwsClients({ AWS_REGION: region, SQS_ENDPOINT: aws.sqsEndpoint, S3_ENDPOINT: undefined, DYNAMODB_ENDPOINT: undefined });
      const depth = new QueueDepth(sqs, resources.jobsQueueUrl, 0);
      services.push(async () => sqs.destroy());
      scaler = new LocalAutoscaler({
        readQueue: () => depth.counts(),
        startAgent: startWorker,
        stopAgent: (worker) => stopChild(worker),
        minAgents: env.WORKERS,
        maxAgents: env.AUTOSCALE_MAX,
        periodMs: env.AUTOSCALE_PERIOD_MS,
        log: (line) => say(line),
      });
      await scaler.start();
    } else {
      for (let i = 1; i <= env.WORKERS; i++) startedOnce.push(await startWorker());
    }

    for (let i = 1; i <= env.RELAYS; i++) startedOnce.push(launch(`relay-${i}`, tsx('relay/main.ts'), { ...shared, RELAY_ID: `local-relay-${i}` }));

    const lambdaPort = await freePort();
    const offline = launch(
      'api',
      [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'local',
        '--httpPort', String(env.HTTP_PORT), '--websocketPort', String(env.WS_PORT), '--lambdaPort', String(lambdaPort),
        // Hand this environment (endpoints, table names) to the handlers, as Lambda's configuration would.
        '--localEnvironment',
        // One process like a Lambda environment that takes concurrent requests: a worker thread per
        // concurrent invocation costs ~11 ms of CPU per request here, more than the job itself.
        '--useInProcess'],
      // Its request lines name the path, and Piston's key-scoped base URL (/piston/k/{key}) carries an API key.
      { ...shared, SLS_LOG_LEVEL: 'warning' },
    );
    say(`starting the API (serverless-offline), ${env.WORKERS} worker(s) and ${env.RELAYS} relay(s); logs in ${logDir}`);

    const died = Promise.race([offline, ...startedOnce].map((p) => p.exited.then((code) => { throw new Error(`${p.name} exited (code ${code}) during start-up; see ${logDir}`); })));
    await Promise.race([Promise.all([waitForPort(env.HTTP_PORT, 120_000), waitForPort(env.WS_PORT, 120_000), waitForWorkers(redis.url, 120_000)]), died]);

    process.stdout.write(`ready: http=http://127.0.0.1:${env.HTTP_PORT} ws=ws://127.0.0.1:${env.WS_PORT} key=${apiKey}\n`);
    process.stdout.write(
      `try:\n  curl -s -X POST localhost:${env.HTTP_PORT}/run -H "x-api-key: ${apiKey}" -H 'content-type: application/json' \\\n` +
        `    -d '{"language":"python","source":"print(input()[::-1])","stdin":"abc"}'\n` +
        `  curl -s localhost:${env.HTTP_PORT}/jobs/<jobId> -H "x-api-key: ${apiKey}"\n` +
        `worker metrics: ${metricsUrls.join(' ')}\n` +
        `AI node (Ollama API): http://127.0.0.1:${aiPort}\n`,
    );
  } catch (error) {
    // Once stopping (Ctrl-C during start-up), a child going away is expected, not a failure.
    if (!stopping) say(`failed: ${(error as Error).message}`);
    await stopAll(1, 'start-up failed');
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
  const runtimeVersions = new RuntimeVersions(redis);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await runtimeVersions.published()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no worker became ready');
  } finally {
    redis.disconnect();
  }
}

await main();
