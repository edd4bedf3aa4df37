/**
 * A streaming or interactive job's live traffic in Redis, between the socket
 * Lambdas, the worker that runs the job and the relays:
 * - the output log: every `job.output` event in order (a list, for subscribers
 *   that join late), each also PUBLISHed on the job's event channel;
 * - the input queue: `stdin`/`eof`/`kill` controls from the client, which the
 *   worker running the job pops (BLPOP) and hands to the sandbox;
 * - the job's io record: who may write to it (the socket that started it),
 *   stdin bytes so far, eof sent, job ended. One Lua script checks and queues a
 *   control atomically, so a refused write leaves nothing behind.
 * Plain jobs never touch any of this. Keys share the job's hash tag (one slot).
 * The output log needs no cap of its own: the sandbox streams nothing past the
 * job's output limit (at most 1 MiB per stream); keys expire after IO_TTL_SECONDS.
 */
import type { Redis } from 'ioredis';
import { jobOutputEventSchema, type JobOutputEvent } from '../contract.ts';
import { redisKeys } from './redis-keys.ts';

const IO_TTL_SECONDS = 3600;

const keys = {
  output: (jobId: string) => `rp:job:{${jobId}}:output`,
  input: (jobId: string) => `rp:job:{${jobId}}:stdin`,
  io: (jobId: string) => `rp:job:{${jobId}}:io`,
};

/** Who writes a control: the socket, and the tenant its key belongs to. */
export interface Writer {
  tenantId: string;
  connectionId: string;
}

export type InputControl = { data: string } | { eof: true } | { kill: true };

export type WriteOutcome = 'ok' | 'not_found' | 'forbidden' | 'finished' | 'closed' | 'too_large';

/** Stdin messages one job takes: with the byte cap, this bounds its queue however small the messages. */
export const MAX_STDIN_MESSAGES = 10_000;

/**
 * KEYS: io record, input queue. ARGV: tenant, connection, kind (data|eof|kill),
 * the queued line, its stdin bytes, the stdin cap, TTL, the message cap.
 * Another tenant's job looks missing; kill is allowed after eof (queued once:
 * more kills change nothing), nothing after the job ended.
 */
const WRITE_INPUT = `
local io = redis.call('HMGET', KEYS[1], 'tenant', 'conn', 'bytes', 'eof', 'ended', 'killed', 'messages')
if not io[1] or io[1] ~= ARGV[1] then return 'not_found' end
if io[2] ~= ARGV[2] then return 'forbidden' end
if io[5] then return 'finished' end
if ARGV[3] == 'kill' then
  if io[6] then return 'ok' end
  redis.call('HSET', KEYS[1], 'killed', '1')
else
  if io[4] then return 'closed' end
  local bytes = tonumber(io[3] or '0') + tonumber(ARGV[5])
  local messages = tonumber(io[7] or '0') + 1
  if bytes > tonumber(ARGV[6]) or messages > tonumber(ARGV[8]) then return 'too_large' end
  redis.call('HSET', KEYS[1], 'bytes', bytes, 'messages', messages)
  if ARGV[3] == 'eof' then redis.call('HSET', KEYS[1], 'eof', '1') end
end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return 'ok'`;

interface WithWriteInput extends Redis {
  runplaneWriteInput(io: string, input: string, ...argv: (string | number)[]): Promise<WriteOutcome>;
}

export class JobIO {
  private readonly redis: WithWriteInput;

  constructor(redis: Redis) {
    if (!('runplaneWriteInput' in redis)) redis.defineCommand('runplaneWriteInput', { numberOfKeys: 2, lua: WRITE_INPUT });
    this.redis = redis as WithWriteInput;
  }

  /** Records the socket that starts an interactive job, before the job exists (so no write can come first). */
  async claim(jobId: string, owner: Writer): Promise<void> {
    await this.redis.multi().hset(keys.io(jobId), 'tenant', owner.tenantId, 'conn', owner.connectionId).expire(keys.io(jobId), IO_TTL_SECONDS).exec();
  }

  /** Undoes claim() when the job could not be submitted. */
  async forget(jobId: string): Promise<void> {
    await this.redis.del(keys.io(jobId), keys.input(jobId));
  }

  /** Queues a control for the job's worker if `writer` may write it now (the script's rules). */
  async write(jobId: string, writer: Writer, control: InputControl, maxStdinBytes: number, maxMessages = MAX_STDIN_MESSAGES): Promise<WriteOutcome> {
    const kind = 'data' in control ? 'data' : 'eof' in control ? 'eof' : 'kill';
    const bytes = 'data' in control ? Buffer.byteLength(control.data) : 0;
    return this.redis.runplaneWriteInput(keys.io(jobId), keys.input(jobId), writer.tenantId, writer.connectionId, kind, JSON.stringify(control), bytes, maxStdinBytes, IO_TTL_SECONDS, maxMessages);
  }

  /**
   * The next control, waiting for it on `blocking`, a connection of its own
   * (BLPOP holds it); disconnecting that connection ends the wait.
   */
  static async nextControl(blocking: Redis, jobId: string): Promise<InputControl> {
    const [, raw] = (await blocking.blpop(keys.input(jobId), 0))!;
    return JSON.parse(raw) as InputControl;
  }

  /** The job is over: later writes are refused with `finished`. */
  async end(jobId: string): Promise<void> {
    await this.redis.multi().hset(keys.io(jobId), 'ended', '1').expire(keys.io(jobId), IO_TTL_SECONDS).del(keys.input(jobId)).exec();
  }

  /** Appends to the output log and publishes the event, in one round trip. */
  async appendOutput(event: JobOutputEvent): Promise<void> {
    const line = JSON.stringify(event);
    await this.redis
      .multi()
      .rpush(keys.output(event.jobId), line)
      .expire(keys.output(event.jobId), IO_TTL_SECONDS)
      .publish(redisKeys.jobEvents(event.jobId), line)
      .exec();
  }

  /** How many output events the job has logged (an earlier attempt's, on a retry). */
  async outputCount(jobId: string): Promise<number> {
    return this.redis.llen(keys.output(jobId));
  }

  /** The output so far, in order (empty for a job that does not stream). */
  async outputSoFar(jobId: string): Promise<JobOutputEvent[]> {
    const lines = await this.redis.lrange(keys.output(jobId), 0, -1);
    return lines.map((line) => jobOutputEventSchema.parse(JSON.parse(line)));
  }
}
