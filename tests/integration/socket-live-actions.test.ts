/**
 * The WebSocket side of interactive and streaming jobs on real Redis, DynamoDB,
 * S3 and SQS emulators: who may write to a job's stdin, what is queued for its
 * worker (read back with the worker's own blocking pop), what a refused write
 * leaves (nothing), and the output a late subscriber gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../core/adapters/admission.ts';
import { JobIO } from '../../core/adapters/job-io.ts';
import { Subscriptions } from '../../core/adapters/subscriptions.ts';
import { MAX_STDIN_BYTES } from '../../core/limits.ts';
import { hashApiKey, tenantLimitsSchema, type Tenant } from '../../core/tenants.ts';
import { handleSocketMessage, type SocketDeps } from '../../functions/app/socket-actions.ts';
import { MAX_STDIN_MESSAGE_BYTES } from '../../functions/app/socket-live-actions.ts';
import { submitJob } from '../../functions/app/submit-job.ts';
import { ApiError } from '../../core/errors.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let subscriptions: Subscriptions;
let io: JobIO;
let n = 0;
beforeAll(async () => {
  s = await testServices();
  subscriptions = new Subscriptions(s.redis);
  io = new JobIO(s.redis);
});
afterAll(() => s.close());

type Reply = { type: string; code?: string; jobId?: string; seq?: number; data?: string; fields?: { field: string }[] };

const tenant = (): Tenant => ({
  tenantId: `live-${process.pid}-${++n}`,
  limits: tenantLimitsSchema.parse({ ratePerSecond: 100, burst: 100, maxConcurrentJobs: 100 }),
});

async function socket(t: Tenant) {
  const connectionId = `live-conn-${process.pid}-${++n}`;
  await subscriptions.addConnection(connectionId, { tenantId: t.tenantId, keyHash: hashApiKey(`key-${n}`) });
  const replies: Reply[] = [];
  const deps: SocketDeps = {
    subscriptions,
    hot: s.hot,
    jobs: s.jobs,
    io,
    submit: { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger, admission: new AdmissionControl(s.redis) },
    authenticateHash: async () => t,
    reply: async (message) => replies.push(message as Reply),
    logger: s.logger,
  };
  return { connectionId, replies, send: (message: object) => handleSocketMessage(connectionId, JSON.stringify(message), deps) };
}

/** Starts an interactive job from `sock` and returns its id. */
async function interactiveJob(sock: Awaited<ReturnType<typeof socket>>): Promise<string> {
  await sock.send({ action: 'run', language: 'python', source: 'print(input())', interactive: true });
  const accepted = sock.replies.find((r) => r.type === 'run.accepted');
  if (!accepted) throw new Error(`run was not accepted: ${JSON.stringify(sock.replies)}`);
  return accepted.jobId!;
}

/** Everything queued for the job's worker, popped the way the worker does (then the queue is empty). */
async function queued(jobId: string): Promise<unknown[]> {
  const blocking = s.redis.duplicate();
  const controls: unknown[] = [];
  try {
    while ((await s.redis.llen(`rp:job:{${jobId}}:stdin`)) > 0) controls.push(await JobIO.nextControl(blocking, jobId));
  } finally {
    blocking.disconnect();
  }
  return controls;
}

const errors = (replies: Reply[]) => replies.filter((r) => r.type === 'error').map((r) => r.code);

describe('stdin and kill', () => {
  it('queues stdin, eof and kill from the socket that started the job, in order, with no answer on success', async () => {
    const owner = await socket(tenant());
    const jobId = await interactiveJob(owner);
    const before = owner.replies.length;
    await owner.send({ action: 'stdin', jobId, data: 'hello\n' });
    await owner.send({ action: 'stdin', jobId, eof: true });
    await owner.send({ action: 'kill', jobId });

    expect(owner.replies.length).toBe(before);
    expect(await queued(jobId)).toEqual([{ data: 'hello\n' }, { eof: true }, { kill: true }]);
  });

  it('refuses another socket of the same tenant (forbidden) and of another tenant (not_found), queueing nothing', async () => {
    const t = tenant();
    const owner = await socket(t);
    const jobId = await interactiveJob(owner);
    const sibling = await socket(t);
    const stranger = await socket(tenant());
    await sibling.send({ action: 'stdin', jobId, data: 'x' });
    await stranger.send({ action: 'kill', jobId });

    expect(errors(sibling.replies)).toEqual(['forbidden']);
    expect(errors(stranger.replies)).toEqual(['not_found']);
    expect(await queued(jobId)).toEqual([]);
  });

  it('refuses stdin after eof and past the per-job cap, but still takes a kill', async () => {
    const owner = await socket(tenant());
    const jobId = await interactiveJob(owner);
    const big = 'x'.repeat(MAX_STDIN_MESSAGE_BYTES);
    for (let sent = 0; sent + big.length <= MAX_STDIN_BYTES; sent += big.length) await owner.send({ action: 'stdin', jobId, data: big });
    await owner.send({ action: 'stdin', jobId, data: 'one byte too many' });
    await owner.send({ action: 'stdin', jobId, eof: true });
    await owner.send({ action: 'stdin', jobId, data: 'after eof' });
    await owner.send({ action: 'kill', jobId });

    expect(errors(owner.replies)).toEqual(['payload_too_large', 'stdin_closed']);
    const controls = await queued(jobId);
    expect(controls).toHaveLength(MAX_STDIN_BYTES / MAX_STDIN_MESSAGE_BYTES + 2);
    expect(controls.slice(-2)).toEqual([{ eof: true }, { kill: true }]);
  });

  it('queues a kill once however often it is sent, and caps the number of stdin messages too', async () => {
    const owner = await socket(tenant());
    const jobId = await interactiveJob(owner);
    for (let i = 0; i < 3; i++) await owner.send({ action: 'kill', jobId });
    const writer = { tenantId: (await subscriptions.connectionOf(owner.connectionId))!.tenantId, connectionId: owner.connectionId };
    expect(await io.write(jobId, writer, { data: 'a' }, MAX_STDIN_BYTES, 2)).toBe('ok');
    expect(await io.write(jobId, writer, { data: 'b' }, MAX_STDIN_BYTES, 2)).toBe('ok');
    expect(await io.write(jobId, writer, { data: 'c' }, MAX_STDIN_BYTES, 2)).toBe('too_large');

    expect(errors(owner.replies)).toEqual([]);
    expect(await queued(jobId)).toEqual([{ kill: true }, { data: 'a' }, { data: 'b' }]);
  });

  it('refuses a write to a job that has ended', async () => {
    const owner = await socket(tenant());
    const jobId = await interactiveJob(owner);
    await io.end(jobId); // what the worker does when the job ends
    await owner.send({ action: 'stdin', jobId, data: 'late' });
    expect(errors(owner.replies)).toEqual(['job_finished']);
  });

  it('refuses a non-interactive job, a malformed stdin message and an oversized one with precise errors', async () => {
    const owner = await socket(tenant());
    await owner.send({ action: 'run', language: 'python', source: 'print(1)' });
    const jobId = owner.replies.find((r) => r.type === 'run.accepted')!.jobId!;
    await owner.send({ action: 'stdin', jobId, data: 'x' });
    await owner.send({ action: 'stdin', jobId, data: 'x', eof: true });
    await owner.send({ action: 'stdin', jobId, data: 'x'.repeat(MAX_STDIN_MESSAGE_BYTES + 1) });
    await owner.send({ action: 'stdin', jobId, colour: 1 });
    const refused = owner.replies.filter((r) => r.type === 'error') as (Reply & { message: string })[];
    expect(refused.map((r) => r.code)).toEqual(['not_found', 'bad_message', 'bad_message', 'bad_message']);
    expect(refused[2]!.message).toMatch(/^data: must be at most 65536 bytes/);
    expect(refused[3]!.message).toMatch(/colour/);
  });

  it('refuses interactive over HTTP (POST /run), naming the field', async () => {
    const t = tenant();
    const error = await submitJob({ language: 'python', source: 'input()', interactive: true }, t, { code: s.code, jobs: s.jobs, hot: s.hot, queue: s.queue, logger: s.logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 400, fields: [{ field: 'interactive' }] });
  });
});

describe('late subscribers', () => {
  it('get the output so far, in seq order, right after subscribed', async () => {
    const t = tenant();
    const starter = await socket(t);
    await starter.send({ action: 'run', language: 'python', source: 'print(1)', stream: true });
    const jobId = starter.replies.find((r) => r.type === 'run.accepted')!.jobId!;
    for (let seq = 1; seq <= 3; seq++) await io.appendOutput({ type: 'job.output', jobId, seq, stream: 'stdout', data: `${seq}\n` });

    const late = await socket(t);
    await late.send({ action: 'subscribe', jobId });
    expect(late.replies.map((r) => r.seq ?? r.type)).toEqual(['subscribed', 1, 2, 3]);
    expect(late.replies.slice(1).map((r) => r.data).join('')).toBe('1\n2\n3\n');
  });
});
