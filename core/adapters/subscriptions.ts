/**
 * WebSocket connections and their job subscriptions, in Redis so that every
 * Lambda and every relay sees the same picture. A connection's tenant and
 * key hash are recorded at $connect; subscriptions are kept both ways (job → connections
 * for the relay, connection → jobs for cleanup at $disconnect or on HTTP 410),
 * with the dialect of a subscriber that speaks another API's protocol (Piston's
 * `/connect`: the relay translates for it) and such a socket's one session job.
 * Every key expires: API Gateway closes a socket after 2 hours anyway, so a
 * lost $disconnect leaks nothing for longer. $disconnect runs asynchronously
 * after the close and may overtake a `subscribe` of the same socket, so a
 * subscription is only added while the connection record exists.
 */
import type { Redis } from 'ioredis';

/** A job's subscriber and, for a socket that speaks another API's protocol (Piston's), the name of its dialect. */
export interface Subscriber {
  connectionId: string;
  dialect?: string;
}

/** What $connect learnt about a socket. */
export interface SocketConnection {
  tenantId: string;
  keyHash: string;
}

const TTL_SECONDS = 2 * 3600;

/** KEYS: the connection record, its job set (one hash tag, one slot). ARGV: job id, TTL. 1 if added. */
const SUBSCRIBE_IF_CONNECTED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1`;

/** KEYS: the job's relay claim. ARGV: relay id, TTL. 1 when this relay holds (or now takes) the job's events. */
const CLAIM_JOB_EVENTS = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1`;

/**
 * How long a relay keeps a job's events after the last one it saw: events
 * close together stay with one relay (so in order); a relay that died hands
 * the job over after this long.
 */
const JOB_CLAIM_SECONDS = 10;

interface WithSubscribe extends Redis {
  runplaneSubscribe(connection: string, connectionJobs: string, jobId: string, ttlSeconds: number): Promise<number>;
  runplaneClaimJobEvents(claim: string, relayId: string, ttlSeconds: number): Promise<number>;
}

const keys = {
  connection: (connectionId: string) => `rp:conn:{${connectionId}}`,
  connectionJobs: (connectionId: string) => `rp:conn:{${connectionId}}:jobs`,
  jobSubscribers: (jobId: string) => `rp:job:{${jobId}}:subs`,
  /** Claimed by whoever pushes a job's final event to a connection, so it arrives once. */
  finalPushed: (jobId: string, connectionId: string) => `rp:job:{${jobId}}:final:${connectionId}`,
  /** The relay that pushes a job's events while they keep coming. */
  relay: (jobId: string) => `rp:job:{${jobId}}:relay`,
  /** connection → dialect, for the job's subscribers that do not speak our own protocol. */
  jobDialects: (jobId: string) => `rp:job:{${jobId}}:dialects`,
  /** The one job a session-style socket (Piston's /connect: one job per socket) started. */
  session: (connectionId: string) => `rp:conn:{${connectionId}}:session`,
};

export class Subscriptions {
  private readonly redis: WithSubscribe;

  constructor(redis: Redis) {
    if (!('runplaneSubscribe' in redis)) redis.defineCommand('runplaneSubscribe', { numberOfKeys: 2, lua: SUBSCRIBE_IF_CONNECTED });
    if (!('runplaneClaimJobEvents' in redis)) redis.defineCommand('runplaneClaimJobEvents', { numberOfKeys: 1, lua: CLAIM_JOB_EVENTS });
    this.redis = redis as WithSubscribe;
  }

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

  /**
   * False when the connection is gone ($disconnect ran first). The job side is
   * written second and undone if the record vanished meanwhile: together with
   * dropConnection deleting the record first, no interleaving leaves either side behind.
   */
  async subscribe(connectionId: string, jobId: string, options: { dialect?: string } = {}): Promise<boolean> {
    if ((await this.redis.runplaneSubscribe(keys.connection(connectionId), keys.connectionJobs(connectionId), jobId, TTL_SECONDS)) !== 1) return false;
    const add = this.redis.multi();
    // The dialect before the subscriber: the relay never sees this socket without it.
    if (options.dialect) add.hset(keys.jobDialects(jobId), connectionId, options.dialect).expire(keys.jobDialects(jobId), TTL_SECONDS);
    await add.sadd(keys.jobSubscribers(jobId), connectionId).expire(keys.jobSubscribers(jobId), TTL_SECONDS).exec();
    if ((await this.redis.exists(keys.connection(connectionId))) === 1) return true;
    await this.redis.multi().srem(keys.jobSubscribers(jobId), connectionId).hdel(keys.jobDialects(jobId), connectionId).exec();
    return false;
  }

  async unsubscribe(connectionId: string, jobId: string): Promise<void> {
    await Promise.all([
      this.redis.srem(keys.jobSubscribers(jobId), connectionId),
      this.redis.srem(keys.connectionJobs(connectionId), jobId),
      this.redis.hdel(keys.jobDialects(jobId), connectionId),
    ]);
  }

  async subscribers(jobId: string): Promise<string[]> {
    return this.redis.smembers(keys.jobSubscribers(jobId));
  }

  /**
   * The job's subscribers with their dialects. This is the relay's first read of every event of
   * every job, and most jobs have no subscriber: one SMEMBERS answers those; the dialects are read
   * only for a watched job.
   */
  async subscribersWithDialects(jobId: string): Promise<Subscriber[]> {
    const members = await this.subscribers(jobId);
    if (members.length === 0) return [];
    const dialects = await this.redis.hgetall(keys.jobDialects(jobId));
    return members.map((connectionId) => (dialects[connectionId] ? { connectionId, dialect: dialects[connectionId] } : { connectionId }));
  }

  /**
   * Records the one job of a socket whose protocol allows one per socket (Piston's
   * `init`). False when the socket already has one: a second start is refused atomically.
   */
  async startSession(connectionId: string, jobId: string): Promise<boolean> {
    return (await this.redis.set(keys.session(connectionId), jobId, 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  /** Undoes startSession() when the job could not be submitted. */
  async endSession(connectionId: string): Promise<void> {
    await this.redis.del(keys.session(connectionId));
  }

  async sessionOf(connectionId: string): Promise<string | undefined> {
    return (await this.redis.get(keys.session(connectionId))) ?? undefined;
  }

  /** Forgets a connection and all its subscriptions ($disconnect, or a push answered 410 Gone). */
  async dropConnection(connectionId: string): Promise<void> {
    // The record first: from then on no subscribe adds to the job set read next.
    await this.redis.del(keys.connection(connectionId));
    const jobs = await this.redis.smembers(keys.connectionJobs(connectionId));
    await Promise.all(jobs.map((jobId) => this.redis.multi().srem(keys.jobSubscribers(jobId), connectionId).hdel(keys.jobDialects(jobId), connectionId).exec()));
    await this.redis.del(keys.connectionJobs(connectionId), keys.session(connectionId));
  }

  /** True for exactly one caller per (job, connection): the one that pushes the final event. */
  async claimFinalPush(jobId: string, connectionId: string): Promise<boolean> {
    return (await this.redis.set(keys.finalPushed(jobId, connectionId), '1', 'EX', TTL_SECONDS, 'NX')) === 'OK';
  }

  /**
   * True for exactly one relay at a time per job: with several relays, the one that
   * holds a job pushes all its events, in the order it receives them (a streaming
   * job's output stays in `seq` order and before the final event).
   */
  async claimJobEvents(jobId: string, relayId: string): Promise<boolean> {
    return (await this.redis.runplaneClaimJobEvents(keys.relay(jobId), relayId, JOB_CLAIM_SECONDS)) === 1;
  }
}
