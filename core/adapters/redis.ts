/** Redis connections with settings suited to request handlers and workers. */
import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    // Fail a command quickly rather than queueing it forever while Redis is down.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Failures surface per command, where the caller logs them with context; without a
  // listener ioredis prints every failed reconnect attempt of an outage to stderr.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A connection for request handlers, which must fail closed and fast: no
 * offline queue (a command while disconnected fails at once), bounded connect
 * time; `connected()` waits for the first connection instead.
 */
export function createRequestRedis(url: string, name: string): { redis: Redis; connected: () => Promise<Redis> } {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  redis.on('error', () => undefined); // surfaced per command; an unhandled 'error' event would crash the process
  const connected = async (): Promise<Redis> => {
    if (redis.status === 'ready') return redis;
    if (redis.status === 'wait' || redis.status === 'end') redis.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        reject(new Error('redis is unavailable'));
      }, 3_000);
      redis.once('ready', onReady);
    });
    return redis;
  };
  return { redis, connected };
}
