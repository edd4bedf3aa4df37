/**
 * WebSocket messages (functions/app/socket-actions.ts) on real Redis, DynamoDB
 * and S3 emulators; replies to the socket are recorded instead of pushed
 * through API Gateway (tests/e2e drives the real path).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { JobIO } from '../../core/adapters/job-io.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import type { JobRecord } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { ApiKeysStore } from '../../core/adapters/api-keys-store.ts';
import { generateApiKey, hashApiKey, tenantLimitsSchema, type Tenant } from '../../core/tenants.ts';
import { Authenticator } from '../../functions/lib/authenticator.ts';
import { handleSocketMessage, type SocketDeps } from '../../functions/app/socket-actions.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let subscriptions: Subscriptions;
let n = 0;
beforeAll(async () => {
  s = await testServices();
  subscriptions = new Subscriptions(s.redis);
});
afterAll(() => s.close());

const tenant = (limits: object = {}): Tenant => ({
  tenantId: `sock-${process.pid}-${++n}`,
  limits: tenantLimitsSchema.parse({ ratePerSecond: 100, burst: 100, maxConcurrentJobs: 100, ...limits }),
});

/** A socket of `t` (connected with `keyHash`): what it is sent, and how to send a message from it. */
async function socket(t: Tenant, keyHash = hashApiKey(`key-${n}`), authenticateHash: SocketDeps['authenticateHash'] = async () => t) {
  const connectionId = `conn-${process.pid}-${++n}`;
  await subscriptions.addConnection(connectionId, { tenantId: t.tenantId, keyHash });
  const replies: { type: string; code?: string; jobId?: string; job?: { result?: unknown } }[] = [];
  const deps: SocketDeps = {
    subscriptions,
    hot: s.hot,
    jobs: s.jobs,
    io: new JobIO(s.redis),
    submit: { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger, admission: new AdmissionControl(s.redis) },
    authenticateHash,
    reply: async (message) => replies.push(message as (typeof replies)[number]),
    logger: s.logger,
  };
  return { replies, send: (message: object) => handleSocketMessage(connectionId, JSON.stringify(message), deps) };
}

async function finishedJob(t: Tenant): Promise<string> {
  const jobId = `sj-${process.pid}-${++n}`;
  const job: JobRecord = { jobId, tenantId: t.tenantId, status: 'queued', language: 'python', inputKey: `jobs/${jobId}/input.json`, limits: DEFAULT_LIMITS, isolation: 'standard', createdAt: new Date().toISOString() };
  await s.jobs.create(job);
  const done = await s.jobs.complete(jobId, { result: { verdict: 'ok', stdout: '42\n', stderr: '', exitCode: 0, signal: null, timeMs: 1, cpuTimeMs: 1, memoryKb: 1, truncated: false } }, new Date().toISOString());
  await s.hot.record(done!, 'job.completed');
  return jobId;
}

describe('subscribe', () => {
  it('answers a second subscribe to a finished job on the same socket with its state and result', async () => {
    const t = tenant();
    const jobId = await finishedJob(t);
    const ws = await socket(t);
    await ws.send({ action: 'subscribe', jobId });
    ws.replies.length = 0;

    await ws.send({ action: 'subscribe', jobId });

    expect(ws.replies.map((r) => r.type)).toEqual(['subscribed', 'job.completed']);
    expect(ws.replies[1]?.job?.result).toMatchObject({ stdout: '42\n' });
  });

  it("answers rate_limited past the tenant's read bucket", async () => {
    const t = tenant({ readRatePerSecond: 0.01, readBurst: 1 });
    const jobId = await finishedJob(t);
    const ws = await socket(t);
    await ws.send({ action: 'subscribe', jobId });
    ws.replies.length = 0;

    await ws.send({ action: 'subscribe', jobId });

    expect(ws.replies).toEqual([expect.objectContaining({ type: 'error', code: 'rate_limited' })]);
  });
});

describe('a socket whose API key is revoked', () => {
  it('gets an error and can neither run nor subscribe', async () => {
    const t = tenant();
    const store = new ApiKeysStore(s.aws.dynamo, s.resources.apiKeysTable);
    const { key, keyId } = generateApiKey();
    await store.put({ keyHash: hashApiKey(key), keyId, tenantId: t.tenantId, limits: t.limits, createdAt: new Date().toISOString() });
    const auth = new Authenticator(store, 0);
    const jobId = await finishedJob(t);
    const ws = await socket(t, hashApiKey(key), (hash) => auth.authenticateHash(hash));
    await ws.send({ action: 'subscribe', jobId });
    expect(ws.replies[0]?.type).toBe('subscribed');
    ws.replies.length = 0;

    await store.revoke(keyId, new Date().toISOString());
    await ws.send({ action: 'run', language: 'python', source: 'print(1)' });
    await ws.send({ action: 'subscribe', jobId });

    expect(ws.replies).toEqual([
      expect.objectContaining({ type: 'error', code: 'unauthorized' }),
      expect.objectContaining({ type: 'error', code: 'unauthorized' }),
    ]);
  });
});
