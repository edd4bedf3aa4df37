/**
 * The Redis user the stack creates, checked on a real redis-server: its
 * access string (read from the packaged template) is applied verbatim, then
 * the commands the code runs — on the keys and channels it uses — must work,
 * and administrative commands or foreign keys must not.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import { packagedTemplate, resource } from './support/template.ts';

const user = `runplane-acl-test-${randomBytes(4).toString('hex')}`;
const password = randomBytes(24).toString('hex');
let admin: Redis;
let app: Redis;
let subscriber: Redis;

beforeAll(async () => {
  const accessString: string = resource(await packagedTemplate(), 'RedisAppUser').Properties.AccessString;
  admin = new Redis(inject('redisUrl'));
  await admin.call('ACL', 'SETUSER', user, 'reset', ...accessString.split(' '), `>${password}`);
  const url = new URL(inject('redisUrl'));
  const options = { host: url.hostname, port: Number(url.port), username: user, password, maxRetriesPerRequest: 0 };
  app = new Redis({ ...options, connectionName: 'runplane-acl-test' });
  subscriber = new Redis({ ...options, connectionName: 'runplane-acl-test-sub' });
});

afterAll(async () => {
  app.disconnect();
  subscriber.disconnect();
  await admin.call('ACL', 'DELUSER', user);
  await admin.del(redisKeys.job('acl-test'), `${redisKeys.job('acl-test')}:subs`, 'rp:tenant:{acl-test}:bucket');
  admin.disconnect();
});

describe('the Redis app user', () => {
  test('connects with a connection name and passes the client’s ready check (INFO)', async () => {
    expect(await app.info('server')).toContain('redis_version');
  });

  test('reads and writes job state, subscriptions and tenant counters, in MULTI and in Lua', async () => {
    const job = redisKeys.job('acl-test');
    const [[, setResult]] = (await app.multi().set(job, '{}', 'EX', 60).expire(job, 60).exec())! as [[null, string]];
    expect(setResult).toBe('OK');
    expect(await app.sadd(`${job}:subs`, 'connection-1')).toBe(1);
    const script = "redis.call('SET', KEYS[1], ARGV[1], 'EX', 60) return redis.call('GET', KEYS[1])";
    expect(await app.eval(script, 1, 'rp:tenant:{acl-test}:bucket', '3')).toBe('3');
  });

  test('publishes job events and subscribes to the relay’s pattern', async () => {
    const received = new Promise<string>((resolve) => subscriber.on('pmessage', (_pattern, _channel, message) => resolve(message)));
    await subscriber.psubscribe(redisKeys.allJobEvents);
    await app.publish(redisKeys.jobEvents('acl-test'), 'job.completed');
    expect(await received).toBe('job.completed');
  });

  test('may not touch keys or channels outside rp:', async () => {
    await expect(app.set('other:key', '1')).rejects.toThrow(/NOPERM/);
    await expect(app.publish('other-channel', 'x')).rejects.toThrow(/NOPERM/);
  });

  test('may not run administrative or dangerous commands', async () => {
    await expect(app.flushall()).rejects.toThrow(/NOPERM/);
    await expect(app.keys('rp:*')).rejects.toThrow(/NOPERM/);
    await expect(app.config('GET', 'maxmemory')).rejects.toThrow(/NOPERM/);
  });
});
