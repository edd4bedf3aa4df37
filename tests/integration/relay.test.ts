/**
 * The relay on a real Redis, with two relays running. The API Gateway
 * Management API (PostToConnection) cannot run here outside serverless-offline,
 * so this file records pushes with a stand-in for it; tests/e2e drives the
 * real thing through serverless-offline.
 *
 * Its own redis-server: a relay takes every job event on its server, so on the
 * Redis the other test files share, their watched jobs would be pushed here too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { JobIO } from '../../core/adapters/job-io.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import type { PushOutcome } from '../../core/adapters/socket-push.ts';
import type { JobRecord } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { hashApiKey } from '../../core/tenants.ts';
import { Relay } from '../../relay/relay.ts';
import { HotState } from '../../core/adapters/hot-state.ts';
import { createRedis } from '../../core/adapters/redis.ts';
import { createLogger } from '../../core/logger.ts';
import { startRedisServer, type RedisServer } from '../../local/redis-server.ts';

let server: RedisServer;
let redis: Redis;
let hot: HotState;
const logger = createLogger('relay-test', 'silent');
let subscriptions: Subscriptions;
const relays: Relay[] = [];
const subscribers: Redis[] = [];
/** Stand-in for PostToConnection: records pushes; connections in `gone` answer 410. */
const pushed: { connectionId: string; message: { type: string; jobId: string } }[] = [];
const gone = new Set<string>();
/** Connections whose pushes take a random 0-15 ms, as HTTP calls do: a relay that does not keep order shows it. */
const jittery = new Set<string>();
const push = async (connectionId: string, message: unknown): Promise<PushOutcome> => {
  if (gone.has(connectionId)) return 'gone';
  if (jittery.has(connectionId)) await new Promise((r) => setTimeout(r, Math.random() * 15));
  pushed.push({ connectionId, message: message as { type: string; jobId: string } });
  return 'sent';
};

beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, `relay-test-${process.pid}`);
  hot = new HotState(redis, 600);
  subscriptions = new Subscriptions(redis);
  for (let i = 0; i < 2; i++) {
    const subscriber = redis.duplicate({ connectionName: `relay-test-${process.pid}-${i}` });
    subscribers.push(subscriber);
    const relay = new Relay({ subscriber, subscriptions, push, logger: logger });
    await relay.start();
    relays.push(relay);
  }
});
afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  subscribers.forEach((r) => r.disconnect());
  redis.disconnect();
  await server.stop();
});

function job(jobId: string, status: JobRecord['status']): JobRecord {
  return { jobId, tenantId: 'acme', status, language: 'python', inputKey: 'k', limits: DEFAULT_LIMITS, isolation: 'standard', createdAt: new Date().toISOString() };
}

/** Waits until `done()` holds (or a generous deadline passes): pushes take as long as the machine needs. */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
/** Only to see that something does NOT happen: gives a wrong push time to show up (it cannot make a right one fail). */
const settle = () => new Promise((r) => setTimeout(r, 300));
/** Sockets are recorded at $connect; subscribe adds nothing for an unknown connection. */
const connected = (...ids: string[]) => Promise.all(ids.map((id) => subscriptions.addConnection(id, { tenantId: 'acme', keyHash: hashApiKey(`key-${id}`) })));

describe('the relay', () => {
  it('pushes each event once to each subscribed connection, with two relays running', async () => {
    await connected('conn-a', 'conn-b');
    await subscriptions.subscribe('conn-a', 'job-1');
    await subscriptions.subscribe('conn-b', 'job-1');
    await subscriptions.subscribe('conn-b', 'job-2');

    await hot.record(job('job-1', 'running'), 'job.running');
    await hot.record(job('job-2', 'running'), 'job.running');
    await hot.record(job('job-1', 'completed'), 'job.completed');
    await until(() => pushed.length >= 5);
    await settle(); // a duplicate would come now

    const seen = pushed.map((p) => `${p.connectionId}:${p.message.jobId}:${p.message.type}`).sort();
    expect(seen).toEqual(['conn-a:job-1:job.completed', 'conn-a:job-1:job.running', 'conn-b:job-1:job.completed', 'conn-b:job-1:job.running', 'conn-b:job-2:job.running']);
  });

  it('pushes nothing for a job nobody subscribed to', async () => {
    const before = pushed.length;
    await hot.record(job('job-unwatched', 'completed'), 'job.completed');
    await settle();
    expect(pushed.length).toBe(before);
  });

  it('forgets a connection whose push answers 410 Gone', async () => {
    await connected('conn-gone');
    expect(await subscriptions.subscribe('conn-gone', 'job-3')).toBe(true);
    await subscriptions.subscribe('conn-gone', 'job-4');
    gone.add('conn-gone');

    await hot.record(job('job-3', 'running'), 'job.running');
    await until(async () => (await redis.exists('rp:conn:{conn-gone}:jobs')) === 0); // the last key dropConnection deletes

    expect(await subscriptions.subscribers('job-3')).toEqual([]);
    expect(await subscriptions.subscribers('job-4')).toEqual([]);
  });

  it('does not push a final event twice when subscribe already pushed it', async () => {
    await connected('conn-c');
    expect(await subscriptions.subscribe('conn-c', 'job-5')).toBe(true);
    expect(await subscriptions.claimFinalPush('job-5', 'conn-c')).toBe(true); // as `subscribe` does for a finished job
    const before = pushed.length;

    await hot.record(job('job-5', 'completed'), 'job.completed');
    await settle();

    expect(pushed.length).toBe(before);
  });

  it("pushes a streaming job's output in seq order, once each, and its final event last", async () => {
    await connected('conn-live');
    jittery.add('conn-live');
    await subscriptions.subscribe('conn-live', 'job-live');
    const io = new JobIO(redis);
    const appended = Array.from({ length: 30 }, (_, i) => io.appendOutput({ type: 'job.output', jobId: 'job-live', seq: i + 1, stream: 'stdout', data: `line ${i + 1}\n` }));
    await Promise.all(appended);
    await hot.record(job('job-live', 'completed'), 'job.completed');
    const mine = () => pushed.filter((p) => p.connectionId === 'conn-live').map((p) => p.message as { type: string; seq?: number });
    await until(() => mine().length >= 31);
    await settle();

    expect(mine().map((m) => m.seq ?? m.type)).toEqual([...Array.from({ length: 30 }, (_, i) => i + 1), 'job.completed']);
  });

  it('holds one subscriber connection per relay, however many sockets are subscribed', async () => {
    for (let i = 0; i < 200; i++) await subscriptions.subscribe(`conn-many-${i}`, `job-many-${i % 20}`);
    const info = await redis.client('LIST');
    const subscriberConnections = String(info).split('\n').filter((line) => line.includes(`name=relay-test-${process.pid}-`) && / psub=1 /.test(line));
    expect(subscriberConnections).toHaveLength(2);
  });
});
