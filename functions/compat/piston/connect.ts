/**
 * Piston's interactive protocol (`/api/v2/connect`) on our WebSocket API. A
 * Piston client sends messages without `action`, so they reach $default; a
 * JSON object with a `type` and no `action` is Piston's. One socket runs one
 * job: `init` checks the request as `POST /api/v2/execute` does, records the
 * job as the socket's session (atomically: a second `init` is refused),
 * subscribes the socket in the `piston` dialect (the relay translates its
 * events, connect-messages.ts) and submits the job as an interactive run.
 * `data` and `signal` become the same stdin and kill controls as the native
 * `stdin` and `kill` actions, through the same ownership checks (JobIO.write).
 */
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import type { JobIO, WriteOutcome } from '../../../core/adapters/job-io.ts';
import { MAX_STDIN_MESSAGES } from '../../../core/adapters/job-io.ts';
import type { Subscriptions } from '../../../core/adapters/subscriptions.ts';
import { LANGUAGES } from '../../../core/languages.ts';
import { MAX_STDIN_BYTES } from '../../../core/limits.ts';
import type { Tenant } from '../../../core/tenants.ts';
import { MAX_STDIN_MESSAGE_BYTES } from '../../app/socket-live-actions.ts';
import { submitJob, type SubmitDeps } from '../../app/submit-job.ts';
import type { RuntimeVersions } from '../shared/versions.ts';
import { errorMessage, PISTON_CLOSE, PISTON_COMPILED_DIALECT, PISTON_DIALECT, runtimeMessage, stageMessage, type PistonClose } from './connect-messages.ts';
import { translatePistonError } from './errors.ts';
import { parseExecute, PistonRequestError } from './request.ts';
import { versionOf } from './runtimes.ts';

export interface PistonSessionDeps {
  subscriptions: Subscriptions;
  io: JobIO;
  submit: Omit<SubmitDeps, 'newJobId'>;
  versions: () => Promise<RuntimeVersions>;
  /** Sends a message to this socket. */
  reply: (message: object) => Promise<unknown>;
  /** Closes this socket from the server's side. */
  close: () => Promise<unknown>;
}

type PistonMessage = Record<string, unknown> & { type: unknown };

/** The message as Piston's when it is one (an object with `type` and without `action`), else undefined. */
export function pistonMessage(raw: string | undefined): PistonMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || 'action' in json || !('type' in json)) return undefined;
  return json as PistonMessage;
}

/** Signals that end a program: delivered as SIGKILL, the one our sandbox sends on request. */
const ENDING_SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP']);
/** Piston accepts Linux's signal names, real-time ones included (its globals.SIGNALS). */
const isSignalName = (name: unknown): name is string =>
  typeof name === 'string' && (name in constants.signals || /^SIGRT(MIN(\+([1-9]|1[0-5]))?|MAX(-([1-9]|1[0-4]))?)$/.test(name));

/** Piston's refusal: an `error` naming the reason and close code, then the close; a running job is killed (no one can talk to it now). */
async function refuse(connectionId: string, tenant: Tenant, deps: PistonSessionDeps, message: string, close: PistonClose = PISTON_CLOSE.notifiedError): Promise<void> {
  await deps.reply(errorMessage(message, close));
  const jobId = close === PISTON_CLOSE.alreadyInitialized ? undefined : await deps.subscriptions.sessionOf(connectionId);
  if (jobId) await deps.io.write(jobId, { tenantId: tenant.tenantId, connectionId }, { kill: true }, MAX_STDIN_BYTES);
  await deps.close();
}

/**
 * API Gateway may run a socket's messages in concurrent Lambdas, so a `data`
 * sent right behind its `init` can arrive first: it waits for the session as
 * long as Piston waits for an `init` (1 s), then gets `Not yet initialized`.
 */
const INIT_GRACE_MS = 1000;

async function sessionSoon(connectionId: string, deps: PistonSessionDeps): Promise<string | undefined> {
  const deadline = Date.now() + INIT_GRACE_MS;
  for (;;) {
    const jobId = await deps.subscriptions.sessionOf(connectionId);
    if (jobId || Date.now() >= deadline) return jobId;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function handlePistonMessage(connectionId: string, tenant: Tenant, message: PistonMessage, deps: PistonSessionDeps): Promise<void> {
  if (message.type === 'init') return init(connectionId, tenant, message, deps);
  // Piston ignores messages of other types.
  if (message.type !== 'data' && message.type !== 'signal') return;
  const jobId = await sessionSoon(connectionId, deps);
  if (!jobId) return refuse(connectionId, tenant, deps, PISTON_CLOSE.notYetInitialized.reason, PISTON_CLOSE.notYetInitialized);
  const writer = { tenantId: tenant.tenantId, connectionId };
  if (message.type === 'signal') {
    if (!isSignalName(message.signal)) return refuse(connectionId, tenant, deps, PISTON_CLOSE.invalidSignal.reason, PISTON_CLOSE.invalidSignal);
    if (!ENDING_SIGNALS.has(message.signal)) {
      // A signal Piston knows but our sandbox cannot send: said, and the session goes on.
      await deps.reply(errorMessage(`${message.signal} cannot be sent here: SIGKILL, SIGTERM, SIGINT, SIGQUIT and SIGHUP end the program (as SIGKILL); no other signal is delivered`));
      return;
    }
    return written(connectionId, tenant, deps, await deps.io.write(jobId, writer, { kill: true }, MAX_STDIN_BYTES));
  }
  if (message.stream !== 'stdin') return refuse(connectionId, tenant, deps, PISTON_CLOSE.stdinOnly.reason, PISTON_CLOSE.stdinOnly);
  if (typeof message.data !== 'string') return refuse(connectionId, tenant, deps, 'data must be a string');
  if (Buffer.byteLength(message.data) > MAX_STDIN_MESSAGE_BYTES) return refuse(connectionId, tenant, deps, `data must be at most ${MAX_STDIN_MESSAGE_BYTES} bytes per message; send more messages`);
  return written(connectionId, tenant, deps, await deps.io.write(jobId, writer, { data: message.data }, MAX_STDIN_BYTES));
}

async function written(connectionId: string, tenant: Tenant, deps: PistonSessionDeps, outcome: WriteOutcome): Promise<void> {
  // A write that crosses the job's end is moot: the exit and the close are on their way.
  if (outcome === 'ok' || outcome === 'finished') return;
  const reason = outcome === 'too_large' ? `stdin is limited to ${MAX_STDIN_BYTES} bytes and ${MAX_STDIN_MESSAGES} messages per job` : `the job refused the write (${outcome})`;
  await refuse(connectionId, tenant, deps, reason);
}

async function init(connectionId: string, tenant: Tenant, message: PistonMessage, deps: PistonSessionDeps): Promise<void> {
  const jobId = randomUUID();
  const writer = { tenantId: tenant.tenantId, connectionId };
  // Owned, then the socket's session, before anything slow: a `data` message that a
  // concurrent Lambda handles meanwhile finds the session and queues its input.
  await deps.io.claim(jobId, writer);
  if (!(await deps.subscriptions.startSession(connectionId, jobId))) {
    await deps.io.forget(jobId);
    return refuse(connectionId, tenant, deps, PISTON_CLOSE.alreadyInitialized.reason, PISTON_CLOSE.alreadyInitialized);
  }
  // Nothing of a refused job stays behind: no subscription, owner, input or session.
  const undo = async () => {
    await deps.subscriptions.unsubscribe(connectionId, jobId);
    await deps.io.forget(jobId);
    await deps.subscriptions.endSession(connectionId);
  };
  const versions = await deps.versions();
  let parsed: ReturnType<typeof parseExecute>;
  try {
    parsed = parseExecute(message, tenant, versions);
  } catch (error) {
    if (!(error instanceof PistonRequestError)) throw error;
    await undo();
    return refuse(connectionId, tenant, deps, error.message);
  }
  const compiles = LANGUAGES[parsed.runtime.ours].compile !== undefined;
  // Subscribed before the job exists (as the native `run`), and `runtime` and
  // `stage` sent before it is queued, so they precede its first output.
  // False when $disconnect overtook this init: nothing is submitted for a socket that is gone.
  if (!(await deps.subscriptions.subscribe(connectionId, jobId, { dialect: compiles ? PISTON_COMPILED_DIALECT : PISTON_DIALECT }))) return undo();
  await deps.reply(runtimeMessage(parsed.runtime.language, versionOf(parsed.runtime, versions), jobId));
  await deps.reply(stageMessage(compiles ? 'compile' : 'run'));
  // Piston's interactive mode discards the request's stdin: the socket is the program's stdin.
  const { stdin: _discarded, ...run } = parsed.run;
  try {
    await submitJob({ ...run, interactive: true }, tenant, { ...deps.submit, newJobId: () => jobId }, { interactiveAllowed: true });
  } catch (error) {
    await undo();
    const known = translatePistonError(error, parsed.fileIndex);
    if (!known) throw error;
    await refuse(connectionId, tenant, deps, (known.body as { message: string }).message);
  }
}
