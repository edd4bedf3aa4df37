/**
 * Piston's /api/v2/connect on real Redis, DynamoDB, S3 and SQS emulators: what
 * `init`, `data` and `signal` record and queue for the worker, what a refusal
 * leaves (nothing but the close), and the relay translating a Piston socket's events while a native socket on the same job
 * gets ours. PostToConnection and DeleteConnection are stand-ins that record
 * (tests/e2e drives the real ones through serverless-offline). Its own
 * redis-server: a relay subscribes to every job's events on its server, so on
 * the shared one this file's relay would claim other files' jobs and theirs ours.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { JobIO } from '../../core/adapters/job-io.ts';
import { createRedis } from '../../core/adapters/redis.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import type { JobRecord } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { hashApiKey, tenantLimitsSchema, type Tenant } from '../../core/tenants.ts';
import { handlePistonMessage } from '../../functions/compat/piston/connect.ts';
import { pistonDialects } from '../../functions/compat/piston/connect-messages.ts';
import { startRedisServer, type RedisServer } from '../../local/redis-server.ts';
import { Relay } from '../../relay/relay.ts';
import { until } from '../support/until.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let redisServer: RedisServer;
let redis: Redis;
let hot: HotState;
let subscriptions: Subscriptions;
let io: JobIO;
let relay: Relay;
let relaySubscriber: Redis;
let n = 0;
const pushed: { connectionId: string; message: Record<string, unknown> }[] = [];
const closedByRelay: string[] = [];

beforeAll(async () => {
  s = await testServices();
  redisServer = await startRedisServer();
  redis = createRedis(redisServer.url, `piston-connect-${process.pid}`);
  hot = new HotState(redis, 600);
  subscriptions = new Subscriptions(redis);
  io = new JobIO(redis);
  relaySubscriber = redis.duplicate({ connectionName: `piston-relay-${process.pid}` });
  relay = new Relay({
    subscriber: relaySubscriber,
    subscriptions,
    push: async (connectionId, message) => (pushed.push({ connectionId, message: message as Record<string, unknown> }), 'sent'),
    close: async (connectionId) => (closedByRelay.push(connectionId), 'sent'),
    dialects: pistonDialects,
    logger: s.logger,
  });
  await relay.start();
});
afterAll(async () => {
  await relay?.stop();
  relaySubscriber?.disconnect();
  redis?.disconnect();
  await redisServer?.stop();
  await s?.close();
});

const tenant = (): Tenant => ({
  tenantId: `piston-${process.pid}-${++n}`,
  limits: tenantLimitsSchema.parse({ ratePerSecond: 100, burst: 100, maxConcurrentJobs: 100 }),
});
const VERSIONS = { python: '3.11.2', c: '12.2.0' };

async function socket(t: Tenant) {
  const connectionId = `piston-conn-${process.pid}-${++n}`;
  await subscriptions.addConnection(connectionId, { tenantId: t.tenantId, keyHash: hashApiKey(`key-${n}`) });
  const replies: Record<string, any>[] = [];
  let closed = 0;
  const deps = {
    subscriptions,
    io,
    submit: { code: s.code, jobs: s.jobs, hot, queue: s.queue, logger: s.logger, admission: new AdmissionControl(redis) },
    versions: async () => VERSIONS,
    reply: async (message: object) => replies.push(message),
    close: async () => closed++,
  };
  return {
    connectionId,
    replies,
    closed: () => closed,
    send: (message: Record<string, unknown>) => handlePistonMessage(connectionId, t, message as { type: unknown }, deps),
  };
}

/** Everything queued for the job's worker, in order (the list its blocking pop reads). */
async function queued(jobId: string): Promise<unknown[]> {
  return (await redis.lrange(`rp:job:{${jobId}}:stdin`, 0, -1)).map((line) => JSON.parse(line) as unknown);
}

const INIT = { type: 'init', language: 'py', version: '3.x', files: [{ content: 'print(input())' }], stdin: 'discarded' };

describe('a Piston session on the WebSocket API', () => {
  it('init answers runtime and stage, and submits an interactive job owned by the socket, without the init stdin', async () => {
    const t = tenant();
    const sock = await socket(t);
    await sock.send(INIT);

    const jobId = sock.replies[0]!.jobId as string;
    expect(sock.replies).toEqual([{ type: 'runtime', language: 'python', version: '3.11.2', jobId }, { type: 'stage', stage: 'run' }]);
    expect(await hot.get(jobId)).toMatchObject({ status: 'queued', tenantId: t.tenantId, language: 'python' });
    expect(await subscriptions.sessionOf(sock.connectionId)).toBe(jobId);
    expect(await subscriptions.subscribersWithDialects(jobId)).toEqual([{ connectionId: sock.connectionId, dialect: 'piston' }]);
    expect(await queued(jobId)).toEqual([]);
    expect(sock.closed()).toBe(0);
  });

  it('says compile first for a compiled language, and records the dialect that knows it', async () => {
    const sock = await socket(tenant());
    await sock.send({ type: 'init', language: 'gcc', version: '*', files: [{ content: 'int main(void){return 0;}' }] });

    const jobId = sock.replies[0]!.jobId as string;
    expect(sock.replies[1]).toEqual({ type: 'stage', stage: 'compile' });
    expect(await subscriptions.subscribersWithDialects(jobId)).toEqual([{ connectionId: sock.connectionId, dialect: 'piston:compile' }]);
  });

  it('queues stdin data and an ending signal as the native stdin and kill controls', async () => {
    const sock = await socket(tenant());
    await sock.send(INIT);
    const jobId = sock.replies[0]!.jobId as string;
    await sock.send({ type: 'data', stream: 'stdin', data: 'one\n' });
    await sock.send({ type: 'data', stream: 'stdin', data: 'two\n' });
    await sock.send({ type: 'signal', signal: 'SIGTERM' });

    expect(await queued(jobId)).toEqual([{ data: 'one\n' }, { data: 'two\n' }, { kill: true }]);
    expect(sock.replies).toHaveLength(2);
    expect(sock.closed()).toBe(0);
  });

  it('queues a data message handled alongside its init (concurrent Lambdas), instead of refusing it as early', async () => {
    const sock = await socket(tenant());
    // The data message's handler starts first, as a warm Lambda would while the init's starts cold.
    const data = sock.send({ type: 'data', stream: 'stdin', data: 'early\n' });
    await sock.send(INIT);
    await data;

    const jobId = sock.replies[0]!.jobId as string;
    expect(sock.replies.map((r) => r.type)).toEqual(['runtime', 'stage']);
    expect(await queued(jobId)).toEqual([{ data: 'early\n' }]);
    expect(sock.closed()).toBe(0);
  });

  it('refuses data on a socket that sends no init, after waiting as long as Piston waits for one', async () => {
    const sock = await socket(tenant());
    await sock.send({ type: 'data', stream: 'stdin', data: 'x\n' });

    expect(sock.replies).toEqual([{ type: 'error', message: 'Not yet initialized', closeCode: 4003 }]);
    expect(sock.closed()).toBe(1);
  });

  it('tells a signal it cannot deliver, queues nothing and keeps the session', async () => {
    const sock = await socket(tenant());
    await sock.send(INIT);
    const jobId = sock.replies[0]!.jobId as string;
    await sock.send({ type: 'signal', signal: 'SIGUSR1' });

    expect(sock.replies[2]).toMatchObject({ type: 'error', message: expect.stringContaining('SIGUSR1 cannot be sent here') });
    expect(sock.replies[2]).not.toHaveProperty('closeCode');
    expect(await queued(jobId)).toEqual([]);
    expect(sock.closed()).toBe(0);
  });

  it.each([
    [{ type: 'signal', signal: 'SIGNOPE' }, 'Invalid signal', 4005],
    [{ type: 'data', stream: 'stdout', data: 'x' }, 'Can only write to stdin', 4004],
    [{ type: 'data', stream: 'stdin', data: 42 }, 'data must be a string', 4002],
  ])('refuses %j with Piston reason and code, closes, and kills the job no one can talk to now', async (message, reason, closeCode) => {
    const sock = await socket(tenant());
    await sock.send(INIT);
    const jobId = sock.replies[0]!.jobId as string;
    await sock.send(message);

    expect(sock.replies[2]).toEqual({ type: 'error', message: reason, closeCode });
    expect(sock.closed()).toBe(1);
    expect(await queued(jobId)).toEqual([{ kill: true }]);
  });

  it('ignores messages of types Piston ignores', async () => {
    const sock = await socket(tenant());
    await sock.send({ type: 'ping' });
    expect(sock.replies).toEqual([]);
    expect(sock.closed()).toBe(0);
  });

  it('refuses a second init on the same socket and leaves the first job alone', async () => {
    const sock = await socket(tenant());
    await sock.send(INIT);
    const jobId = sock.replies[0]!.jobId as string;
    await sock.send(INIT);

    expect(sock.replies[2]).toEqual({ type: 'error', message: 'Already Initialized', closeCode: 4000 });
    expect(sock.closed()).toBe(1);
    expect(await subscriptions.sessionOf(sock.connectionId)).toBe(jobId);
    expect(await queued(jobId)).toEqual([]);
  });

  it('submits nothing for a socket whose $disconnect overtook its init, and leaves no session', async () => {
    const sock = await socket(tenant());
    await subscriptions.dropConnection(sock.connectionId);
    await sock.send(INIT);

    expect(sock.replies).toEqual([]);
    expect(await subscriptions.sessionOf(sock.connectionId)).toBeUndefined();
  });

  it('leaves nothing behind when the job is refused at submission: no session, subscription or owner', async () => {
    const sock = await socket(tenant());
    await sock.send({ ...INIT, files: [{ name: '../escape.py', content: 'print(1)' }] });

    expect(sock.replies.map((r) => r.type)).toEqual(['runtime', 'stage', 'error']);
    expect(sock.replies[2]).toMatchObject({ message: expect.stringMatching(/^files\[0\]\.name: /), closeCode: 4002 });
    const jobId = sock.replies[0]!.jobId as string;
    expect(sock.closed()).toBe(1);
    expect(await subscriptions.sessionOf(sock.connectionId)).toBeUndefined();
    expect(await subscriptions.subscribersWithDialects(jobId)).toEqual([]);
    expect(await redis.exists(`rp:job:{${jobId}}:io`)).toBe(0);
    expect(await hot.get(jobId)).toBeUndefined();
  });
});

describe("a Piston socket's records", () => {
  it('go with the socket: dropping the connection forgets its session and its dialect on every job', async () => {
    const sock = await socket(tenant());
    await sock.send(INIT);
    const jobId = sock.replies[0]!.jobId as string;
    await subscriptions.dropConnection(sock.connectionId);

    expect(await subscriptions.sessionOf(sock.connectionId)).toBeUndefined();
    expect(await subscriptions.subscribersWithDialects(jobId)).toEqual([]);
    expect(await redis.hlen(`rp:job:{${jobId}}:dialects`)).toBe(0);
  });

  it('unsubscribing forgets the dialect with the subscription', async () => {
    const [id, jobId] = [`unsub-conn-${process.pid}`, `unsub-job-${process.pid}`];
    await subscriptions.addConnection(id, { tenantId: 'acme', keyHash: hashApiKey(id) });
    await subscriptions.subscribe(id, jobId, { dialect: 'piston' });
    await subscriptions.unsubscribe(id, jobId);

    expect(await subscriptions.subscribersWithDialects(jobId)).toEqual([]);
    expect(await redis.hlen(`rp:job:{${jobId}}:dialects`)).toBe(0);
  });
});

describe('the relay with a Piston socket and a native socket on one job', () => {
  it('translates for the Piston socket and closes it at the end; the native socket gets our events and stays open', async () => {
    const jobId = `piston-relay-job-${process.pid}`;
    const [piston, native] = [`piston-sock-${process.pid}`, `native-sock-${process.pid}`];
    for (const id of [piston, native]) await subscriptions.addConnection(id, { tenantId: 'acme', keyHash: hashApiKey(id) });
    await subscriptions.subscribe(piston, jobId, { dialect: 'piston' });
    await subscriptions.subscribe(native, jobId);
    const record: JobRecord = { jobId, tenantId: 'acme', status: 'running', language: 'python', inputKey: 'k', limits: DEFAULT_LIMITS, isolation: 'standard', createdAt: new Date().toISOString() };

    await hot.record(record, 'job.running');
    await io.appendOutput({ type: 'job.output', jobId, seq: 1, stream: 'stdout', data: 'HI\n' });
    const result = { verdict: 'ok' as const, stdout: 'HI\n', stderr: '', exitCode: 0, signal: null, timeMs: 5, cpuTimeMs: 4, memoryKb: 9000, truncated: false };
    await hot.record({ ...record, status: 'completed', result }, 'job.completed');
    const done = () => closedByRelay.includes(piston) && pushed.filter((p) => p.connectionId === native).length >= 3;
    await until(async () => (done() ? true : undefined), 'the Piston socket closed and three native pushes');

    expect(pushed.filter((p) => p.connectionId === piston).map((p) => p.message)).toEqual([
      { type: 'data', stream: 'stdout', data: 'HI\n' },
      { type: 'exit', stage: 'run', code: 0, signal: null },
    ]);
    expect(pushed.filter((p) => p.connectionId === native).map((p) => p.message.type)).toEqual(['job.running', 'job.output', 'job.completed']);
    expect(closedByRelay).toEqual([piston]);
  });
});
