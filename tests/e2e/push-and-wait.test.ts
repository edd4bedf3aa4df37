/**
 * The control plane against the whole local stack (serverless-offline, real
 * Redis, emulators, worker, TWO relays) with real HTTP and WebSocket clients:
 * push over WebSocket, waiting POST /run and its Redis connection count,
 * Idempotency-Key and tenant isolation.
 */
import { Redis } from 'ioredis';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysStore } from '../../core/adapters/api-keys-store.ts';
import { createAwsClients } from '../../core/adapters/aws-clients.ts';
import { generateApiKey, hashApiKey, tenantLimitsSchema } from '../../core/tenants.ts';
import { startStack, type RunningStack } from '../../local/spawn-stack.ts';
import { connectSocket, type Socket } from '../support/socket-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let stack: RunningStack;
let otherKey: string;
let limitedKey: string;

beforeAll(async () => {
  stack = await startStack(ROOT, {
    RELAYS: '2', WORKER_CONCURRENCY: '4', POOL_SIZE: '4', GVISOR_POOL_SIZE: '0', LOG_LEVEL: 'warn',
    // The auto-tuner on, with windows and cooldowns in seconds instead of minutes, reported through heartbeats.
    AUTOTUNE: '1', AUTOTUNE_TICK_MS: '250', AUTOTUNE_POOL_MIN: '1', AUTOTUNE_POOL_MAX: '6', AUTOTUNE_CONCURRENCY_MAX: '4',
    AUTOTUNE_SHORT_WINDOW_MS: '1000', AUTOTUNE_LONG_WINDOW_MS: '2000', AUTOTUNE_SHRINK_COOLDOWN_MS: '500', HEARTBEAT_INTERVAL_SECONDS: '1',
  });
  const { dynamo } = createAwsClients({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: stack.dynamodbEndpoint, SQS_ENDPOINT: undefined, S3_ENDPOINT: undefined });
  const keys = new ApiKeysStore(dynamo, 'runplane-local-api-keys');
  const addKey = async (tenantId: string, limits: object) => {
    const { key, keyId } = generateApiKey();
    await keys.put({ keyHash: hashApiKey(key), keyId, tenantId, limits: tenantLimitsSchema.parse(limits), createdAt: new Date().toISOString() });
    return key;
  };
  otherKey = await addKey('other', { ratePerSecond: 50, burst: 50, maxConcurrentJobs: 50 });
  limitedKey = await addKey('limited', { ratePerSecond: 0.01, burst: 2, maxConcurrentJobs: 50 });
  dynamo.destroy();
}, 180_000);
afterAll(() => stack?.stop());

async function post(path: string, body: unknown, headers: Record<string, string> = {}, key = stack.key) {
  const res = await fetch(`${stack.http}${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

async function get(path: string, key = stack.key) {
  const res = await fetch(`${stack.http}${path}`, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const connect = (key = stack.key): Promise<Socket> => connectSocket(stack.ws, key);

/**
 * Closes sockets ten at a time and waits for their $disconnect to finish
 * (their connection records gone): serverless-offline, like Lambda, starts an
 * environment per concurrent invocation, and 100 cold starts at once on two
 * cores take longer than the Lambda timeout.
 */
async function closeInBatches(sockets: Socket[]): Promise<void> {
  const redis = new Redis(stack.redisUrl);
  try {
    for (let i = 0; i < sockets.length; i += 10) {
      const batch = sockets.slice(i, i + 10);
      const before = (await redis.keys('rp:conn:{*}')).length;
      await Promise.all(batch.map((s) => new Promise((r) => { s.ws.once('close', r); s.ws.close(); })));
      const deadline = Date.now() + 20_000;
      while ((await redis.keys('rp:conn:{*}')).length > before - batch.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    redis.disconnect();
  }
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;

describe('waiting POST /run', () => {
  it('answers 200 with the finished job when it finishes within the wait', async () => {
    const res = await post('/run', { language: 'python', source: 'print("waited")', wait: 20 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'completed', result: { stdout: 'waited\n' } });
  });

  it('answers 202 with the job id when the wait runs out first', async () => {
    const res = await post('/run', { language: 'python', source: 'import time\ntime.sleep(3)', wait: 1 });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ jobId: expect.any(String), status: 'queued' });
  });

  it('serves 500 waiting requests at concurrency 10 with Redis connections bounded by the concurrency', async () => {
    const redis = new Redis(stack.redisUrl);
    const clients = async () => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))![1]);
    const before = await clients();
    let peak = before;
    const sampler = setInterval(() => void clients().then((c) => (peak = Math.max(peak, c))), 100);
    let next = 0;
    const results: boolean[] = [];
    const failures: string[] = [];
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < 500) {
        const i = next++;
        const res = await post('/run', { language: 'python', source: `print(${i} * 3)`, wait: 20 });
        const ok = res.status === 200 && res.body.result?.stdout === `${i * 3}\n`;
        results.push(ok);
        if (!ok) failures.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }));
    clearInterval(sampler);
    const after = await clients();
    redis.disconnect();

    console.log(`redis clients: before ${before}, peak ${peak}, after ${after} (500 waiting requests, concurrency 10)`);
    expect(results).toHaveLength(500);
    expect(failures).toEqual([]);
    // Each execution environment holds 2 connections (commands + subscriber); at most ~concurrency + a few of them.
    expect(peak - before).toBeLessThanOrEqual(2 * (10 + 4));
  }, 180_000);
});

describe('WebSocket push', () => {
  it('pushes job.running and job.completed for a job submitted over HTTP', async () => {
    const socket = await connect();
    // The workers hold the job until the subscription is confirmed: on a slow machine it
    // used to finish before the subscribe arrived, and job.running never came.
    stack.pauseWorkers();
    let jobId: string;
    try {
      jobId = (await post('/run', { language: 'python', source: 'import time\ntime.sleep(0.5)\nprint("pushed")' })).body.jobId;
      socket.send({ action: 'subscribe', jobId });
      expect(await socket.next((m) => m.type === 'subscribed')).toMatchObject({ jobId, status: 'queued' });
    } finally {
      stack.resumeWorkers();
    }
    const completed = await socket.next((m) => m.type === 'job.completed');
    socket.ws.close();

    // job.queued was published before the subscription; a relay may still handle it after, and push it.
    const events = socket.messages.filter((m) => m.jobId === jobId);
    expect(events.filter((m) => m.type === 'job.queued').length).toBeLessThanOrEqual(1);
    expect(events.filter((m) => m.type !== 'job.queued').map((m) => m.type)).toEqual(['subscribed', 'job.running', 'job.completed']);
    expect(completed.job.result.stdout).toBe('pushed\n');
    expect(completed.job.tenantId).toBeUndefined();
  });

  it('runs a job over the socket: answers with its id, then pushes its events', async () => {
    const socket = await connect();
    socket.send({ action: 'run', language: 'javascript', source: 'console.log(6 * 7)' });
    const accepted = await socket.next((m) => m.type === 'run.accepted');
    const completed = await socket.next((m) => m.type === 'job.completed' && m.jobId === accepted.jobId);
    socket.ws.close();
    expect(completed.job.result.stdout).toBe('42\n');
    expect(socket.messages.filter((m) => m.jobId === accepted.jobId).map((m) => m.type)).toEqual(expect.arrayContaining(['job.queued', 'run.accepted', 'job.completed']));
  });

  it('pushes the result at once when subscribing to a job that already finished', async () => {
    const { body } = await post('/run', { language: 'python', source: 'print("early")', wait: 20 });
    expect(body.status).toBe('completed');
    const socket = await connect();
    socket.send({ action: 'subscribe', jobId: body.jobId });
    const completed = await socket.next((m) => m.type === 'job.completed');
    socket.ws.close();
    expect(completed.job.result.stdout).toBe('early\n');
  });

  it("refuses to subscribe to another tenant's job, and answers bad messages without closing", async () => {
    const { body } = await post('/run', { language: 'python', source: 'print(1)' });
    const socket = await connect(otherKey);
    socket.send({ action: 'subscribe', jobId: body.jobId });
    socket.send('not json');
    socket.send({ action: 'dance' });
    socket.send({ action: 'subscribe', jobId: '../../x' });
    socket.send({ action: 'run', language: 'cobol', source: 'x' });
    // Each message is its own Lambda invocation: replies may arrive in any order.
    const deadline = Date.now() + 20_000;
    while (socket.messages.filter((m) => m.type === 'error').length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const errors = socket.messages.filter((m) => m.type === 'error').map((m) => m.code).sort();
    expect(errors).toEqual(['bad_message', 'bad_message', 'bad_message', 'invalid_request', 'not_found']);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it('refuses a socket without a valid key (401)', async () => {
    await expect(connect('rp_wrong_key_0123456789')).rejects.toThrow(/401/);
  });

  it("counts a socket against the tenant's rate limit (429 past the burst)", async () => {
    const opened = [await connect(limitedKey), await connect(limitedKey)];
    await expect(connect(limitedKey)).rejects.toThrow(/429/);
    await closeInBatches(opened);
  });

  it('gives each of 100 sockets exactly the events of its own job, with two relays running', async () => {
    // Bounded concurrency (10): serverless-offline, like Lambda, starts an environment per concurrent call.
    const sockets: Socket[] = [];
    const jobs: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const opened = await Promise.all(Array.from({ length: 10 }, () => connect()));
      await Promise.all(opened.map(async (socket, j) => {
        const i = batch * 10 + j;
        sockets[i] = socket;
        const { body } = await post('/run', { language: 'python', source: `print(${i})` });
        jobs[i] = body.jobId as string;
        socket.send({ action: 'subscribe', jobId: body.jobId });
      }));
    }
    const completions = await Promise.all(sockets.map((socket, i) => socket.next((m) => m.type === 'job.completed' && m.jobId === jobs[i], 60_000)));
    await new Promise((r) => setTimeout(r, 500)); // let any duplicate arrive
    await closeInBatches(sockets);
    // $disconnect forgets each connection and its subscriptions; it runs after the close, in its own time.
    const redis = new Redis(stack.redisUrl);
    const left = async () => ({
      connectionKeys: await redis.keys('rp:conn:*'),
      subscribedJobs: (await Promise.all(jobs.map((jobId) => redis.scard(`rp:job:{${jobId}}:subs`)))).filter((n) => n > 0).length,
    });
    const deadline = Date.now() + 60_000;
    let remaining = await left();
    while ((remaining.connectionKeys.length > 0 || remaining.subscribedJobs > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      remaining = await left();
    }
    redis.disconnect();
    expect(remaining).toEqual({ connectionKeys: [], subscribedJobs: 0 });

    sockets.forEach((socket, i) => {
      const events = socket.messages.filter((m) => m.type.startsWith('job.'));
      expect(events.every((m) => m.jobId === jobs[i])).toBe(true);
      const types = events.map((m) => m.type);
      expect(new Set(types).size).toBe(types.length);
      expect(completions[i]!.job.result.stdout).toBe(`${i}\n`);
    });
    const latencies = completions.map((m) => m.receivedAt - Date.parse(m.job.finishedAt));
    console.log(`push latency under load (100 sockets subscribing while jobs run): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`);
  }, 120_000);

  it('pushes a finished job to its socket within milliseconds (latency from completion to receipt)', async () => {
    const socket = await connect();
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      socket.send({ action: 'run', language: 'python', source: `print(${i})` });
      const completed = await socket.next((m) => m.type === 'job.completed' && m.job.result.stdout === `${i}\n`);
      latencies.push(completed.receivedAt - Date.parse(completed.job.finishedAt));
    }
    socket.ws.close();
    const p50 = percentile(latencies, 50);
    console.log(`push latency, job finished → client received (40 sequential jobs, one socket): p50 ${p50} ms, p99 ${percentile(latencies, 99)} ms`);
    expect(latencies).toHaveLength(40);
  }, 60_000);
});

describe('keys and tenants over HTTP', () => {
  it('answers 404 to a key of another tenant asking for a job', async () => {
    const submitted = await post('/run', { language: 'python', source: 'print(1)' });
    expect(submitted.status).toBe(202);
    const asOther = await get(`/jobs/${submitted.body.jobId}`, otherKey);
    expect(asOther).toEqual({ status: 404, body: expect.objectContaining({ error: expect.objectContaining({ code: 'not_found' }) }) });
    expect((await get(`/jobs/${submitted.body.jobId}`)).status).toBe(200);
  });

  it('replays an Idempotency-Key and refuses it with another body', async () => {
    const key = `order-${Date.now()}`;
    const first = await post('/run', { language: 'python', source: 'print(1)' }, { 'Idempotency-Key': key });
    const again = await post('/run', { language: 'python', source: 'print(1)' }, { 'Idempotency-Key': key });
    const other = await post('/run', { language: 'python', source: 'print(2)' }, { 'Idempotency-Key': key });
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(other.status).toBe(422);
  });

  it('lists live workers to an admin key, and refuses others (403)', async () => {
    const admin = await get('/workers');
    expect(admin.status).toBe(200);
    expect(admin.body.workers).toEqual([expect.objectContaining({ capacity: expect.any(Number), pools: expect.objectContaining({ standard: expect.any(Object) }) })]);
    // The concurrency the agent runs now: the auto-tuner moves it between 1 and AUTOTUNE_CONCURRENCY_MAX.
    expect(admin.body.workers[0].capacity).toBeGreaterThanOrEqual(1);
    expect(admin.body.workers[0].capacity).toBeLessThanOrEqual(4);
    const other = await get('/workers', otherKey);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('forbidden');
  });

  it('grows the warm pool under a burst and shrinks it when idle (auto-tuner, seen through GET /workers)', async () => {
    const target = async () => (await get('/workers')).body.workers[0].pools.standard.target as number;
    const until = async (check: (t: number) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      let t = await target();
      while (!check(t) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        t = await target();
      }
      return t;
    };
    expect(await until((t) => t === 1, 20_000)).toBe(1);

    let next = 0;
    const burst = Promise.all(Array.from({ length: 10 }, async () => {
      while (next < 80) {
        next++;
        await post('/run', { language: 'python', source: 'print(1)' });
      }
    }));
    const peak = await until((t) => t > 1, 30_000);
    await burst;

    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(6);
    expect(await until((t) => t === 1, 30_000)).toBe(1);
  }, 90_000);

  it('carries RateLimit headers on submissions', async () => {
    const res = await post('/run', { language: 'python', source: 'print(1)' });
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThan(0);
  });
});
