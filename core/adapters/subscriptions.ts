/**
 * WebSocket connections and their job subscriptions, in Redis so that every
 * Lambda and every relay sees the same picture. A connection's tenant and
 * key hash are recorded at $connect; subscriptions are kept both ways (job → connections
 * for the relay, connection → jobs for cleanup at $disconnect or on HTTP 410).
 * Every key expires: API Gateway closes a socket after 2 hours anyway.
 */
import type { Redis } from 'ioredis';

/** What $connect learnt about a socket. */
export interface SocketConnection {
  tenantId: string;
  keyHash: string;
}

const TTL_SECONDS = 2 * 3600;

const keys = {
  connection: (connectionId: string) => `rp:conn:{${connectionId}}`,
  connectionJobs: (connectionId: string) => `rp:conn:{${connectionId}}:jobs`,
  jobSubscribers: (jobId: string) => `rp:job:{${jobId}}:subs`,
  /** Claimed by whoever pushes a job's final event to a connection, so it arrives once. */
  finalPushed: (jobId: string, connectionId: string) => `rp:job:{${jobId}}:final:${connectionId}`,
  /** Claimed by the relay that pushes an event, so several relays push it once. */
  relayed: (jobId: string, eventId: string) => `rp:job:{${jobId}}:relayed:${eventId}`,
};

export class Subscriptions {
  constructor(private readonly redis: Redis) {}

  /**
   * Records the socket's key, as its SHA-256 (never the key): each message
   * checks it again, so a key revoked while the socket is open stops working.
   */
  async addConnection(connectionId: string, connection: SocketConnection): Promise<void> {
    await this.redis.set(keys.connection(connectionId), JSON.stringify(connection), 'EX', TTL_SECONDS);
  }

  async connectionOf(connectionId: string): Promise<SocketConnection | undefined> {
    const raw = await this.redis.get(keys.connection(connectionId));
    return raw ? (JSON.parse(raw) as SocketConnection) : undefined;
  }

  async subscribe(connectionId: string, jobId: string): Promise<void> {
    await Promise.all([
      this.redis.multi().sadd(keys.jobSubscribers(jobId), connectionId).expire(keys.jobSubscribers(jobId), TTL_SECONDS).exec(),
      this.redis.multi().sadd(keys.connectionJobs(connectionId), jobId).expire(keys.connectionJobs(connectionId), TTL_SECONDS).exec(),
    ]);
  }

  async unsubscribe(connectionId: string, jobId: string): Promise<void> {
    await Promise.all([this.redis.srem(keys.jobSubscribers(jobId), connectionId), this.redis.srem(keys.connectionJobs(connectionId), jobId)]);
  }

  async subscribers(jobId: string): Promise<string[]> {
    return this.redis.smembers(keys.jobSubscribers(jobId));
  }

  /** Forgets a connection and all its subscriptions ($disconnect, or a push answered 410 Gone). */
  async dropConnection(connectionId: string): Promise<void> {
    const jobs = await this.redis.smembers(keys.connectionJobs(connectionId));
    await Promise.all(jobs.map((jobId) => this.redis.srem(keys.jobSubscribers(jobId), connectionId)));
    await this.redis.del(keys.connectionJobs(connectionId), keys.connection(connectionId));
  }

  /** True for exactly one caller per (job, connection): the one that pushes the final event. */
  async claimFinalPush(jobId: string, connectionId: string): Promise<boolean> {
    return (await this.redis.set(keys.finalPushed(jobId, connectionId), '1', 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  /** True for exactly one relay per event. */
  async claimEvent(jobId: string, eventId: string): Promise<boolean> {
    return (await this.redis.set(keys.relayed(jobId, eventId), '1', 'EX', 600, 'NX')) === 'OK';
  }
}
