/**
 * What the WebSocket API does with each message: `subscribe`, `unsubscribe`
 * and `run`. Replies and events go to the socket through `reply`. A bad
 * message gets an `{"type":"error"}` reply; the connection is never dropped.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { HotState } from '../../core/adapters/hot-state.ts';
import type { JobsStore } from '../../core/adapters/jobs-store.ts';
import type { Subscriptions } from '../../core/adapters/subscriptions.ts';
import { isFinished, jobEventMessage, type JobRecord } from '../../core/contract.ts';
import { ApiError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Tenant } from '../../core/tenants.ts';
import type { JobIO } from '../../core/adapters/job-io.ts';
import { takeReadToken } from './admission-steps.ts';
import { liveMessageSchemas, replayOutput, writeInput } from './socket-live-actions.ts';
import { submitJob, type SubmitDeps } from './submit-job.ts';

export interface SocketDeps {
  subscriptions: Subscriptions;
  /** Checks the socket's key again (through the short key cache): revocation reaches open sockets. */
  authenticateHash: (keyHash: string) => Promise<Tenant>;
  hot: HotState;
  jobs: JobsStore;
  /** Interactive jobs' owners and input, streaming jobs' output log. */
  io: JobIO;
  submit: Omit<SubmitDeps, 'newJobId'>;
  reply: (message: object) => Promise<unknown>;
  logger: Logger;
}

const JOB_ID = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a job id');
const messageSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('subscribe'), jobId: JOB_ID }),
  z.object({ action: z.literal('unsubscribe'), jobId: JOB_ID }),
  z.looseObject({ action: z.literal('run') }),
  ...liveMessageSchemas,
]);

const finalEvent = (job: JobRecord) => jobEventMessage(job.status === 'completed' ? 'job.completed' : 'job.failed', job);

const error = (code: string, message: string, extra: object = {}) => ({ type: 'error', code, message, ...extra });
/** A socket has no headers: a 429's Retry-After travels in the message. */
const retryAfter = (e: ApiError) => (e.headers['Retry-After'] ? { retryAfterSeconds: Number(e.headers['Retry-After']) } : {});

/**
 * The socket's tenant as its key says now. A key revoked since $connect gets an
 * error, and the socket's subscriptions are dropped so the relay pushes it nothing more.
 */
export async function currentTenant(connectionId: string, deps: Pick<SocketDeps, 'subscriptions' | 'authenticateHash' | 'reply'>): Promise<Tenant | undefined> {
  const connection = await deps.subscriptions.connectionOf(connectionId);
  if (!connection) {
    await deps.reply(error('unauthorized', 'connection is not authenticated; reconnect'));
    return undefined;
  }
  try {
    return await deps.authenticateHash(connection.keyHash);
  } catch (e) {
    if (!(e instanceof ApiError) || e.statusCode !== 401) throw e;
    await deps.subscriptions.dropConnection(connectionId);
    await deps.reply(error('unauthorized', 'the API key of this connection is no longer valid; reconnect with a valid key'));
    return undefined;
  }
}

export async function handleSocketMessage(connectionId: string, raw: string | undefined, deps: SocketDeps): Promise<void> {
  const tenant = await currentTenant(connectionId, deps);
  if (!tenant) return;
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    await deps.reply(error('bad_message', 'messages must be JSON objects'));
    return;
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      await deps.reply(error('bad_message', `${issue.keys.join(', ')}: unknown field`));
      return;
    }
    const field = issue.path.join('.') || 'action';
    await deps.reply(error('bad_message', field === 'action' ? 'action must be one of: subscribe, unsubscribe, run, stdin, kill' : `${field}: ${issue.message}`));
    return;
  }
  const message = parsed.data;
  if (message.action === 'unsubscribe') {
    await deps.subscriptions.unsubscribe(connectionId, message.jobId);
    await deps.reply({ type: 'unsubscribed', jobId: message.jobId });
    return;
  }
  if (message.action === 'subscribe') {
    await subscribe(connectionId, tenant, message.jobId, deps);
    return;
  }
  if (message.action === 'stdin' || message.action === 'kill') {
    await writeInput(connectionId, tenant.tenantId, message, deps);
    return;
  }
  await run(connectionId, tenant, message, deps);
}

async function subscribe(connectionId: string, tenant: Tenant, jobId: string, deps: SocketDeps): Promise<void> {
  try {
    await takeReadToken(tenant, deps.submit.admission, deps.logger);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    await deps.reply(error(e.code, e.message, { jobId, ...retryAfter(e) }));
    return;
  }
  const before = (await deps.hot.get(jobId)) ?? (await deps.jobs.get(jobId));
  if (!before || before.tenantId !== tenant.tenantId) {
    await deps.reply(error('not_found', 'job not found', { jobId }));
    return;
  }
  // Finished already: no event will follow, so the answer is the final event itself,
  // every time it is asked for (a second subscribe on the same socket included).
  if (isFinished(before)) {
    await deps.reply({ type: 'subscribed', jobId, status: before.status });
    await deps.reply(finalEvent(before));
    return;
  }
  // Subscribe first, then look again: a job that finishes in between is not missed,
  // and the final-push claim keeps it from arriving twice (relay and us).
  await deps.subscriptions.subscribe(connectionId, jobId);
  await deps.reply({ type: 'subscribed', jobId, status: before.status });
  await replayOutput(jobId, deps);
  const now = (await deps.hot.get(jobId)) ?? (await deps.jobs.get(jobId)) ?? before;
  if (isFinished(now) && (await deps.subscriptions.claimFinalPush(jobId, connectionId))) await deps.reply(finalEvent(now));
}

async function run(connectionId: string, tenant: Tenant, message: Record<string, unknown>, deps: SocketDeps): Promise<void> {
  const { action: _action, ...body } = message;
  const jobId = randomUUID();
  // Subscribed before the job exists, so not even job.queued can be missed; for the
  // same reason an interactive job's owner is recorded before anyone can learn its id.
  await deps.subscriptions.subscribe(connectionId, jobId);
  const interactive = body.interactive === true;
  try {
    if (interactive) await deps.io.claim(jobId, { tenantId: tenant.tenantId, connectionId });
    await submitJob(body, tenant, { ...deps.submit, newJobId: () => jobId }, { interactiveAllowed: true });
    await deps.reply({ type: 'run.accepted', jobId });
  } catch (e) {
    await deps.subscriptions.unsubscribe(connectionId, jobId);
    if (interactive) await deps.io.forget(jobId);
    if (!(e instanceof ApiError)) throw e;
    await deps.reply(error(e.code, e.message, { ...(e.fields ? { fields: e.fields } : {}), ...retryAfter(e) }));
  }
}
