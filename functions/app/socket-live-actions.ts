/**
 * The WebSocket actions of interactive jobs (`stdin`, `kill`) and the output
 * replay a late subscriber gets. A control is checked and queued by one
 * script (JobIO.write): only the socket that started the job may write to it,
 * another tenant's job looks missing, and a refused write queues nothing.
 * Controls that are accepted get no answer (like a write to a pipe), so an
 * interactive session costs one message per line; refusals get an `error`.
 */
import { z } from 'zod';
import { MAX_STDIN_MESSAGES, type InputControl, type JobIO, type WriteOutcome } from '../../core/adapters/job-io.ts';
import { MAX_STDIN_BYTES } from '../../core/limits.ts';

/** One `stdin` message's data: API Gateway frames stop at 128 KB, and the JSON around it needs room. */
export const MAX_STDIN_MESSAGE_BYTES = 64 * 1024;

const JOB_ID = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a job id');

export const liveMessageSchemas = [
  z.strictObject({
    action: z.literal('stdin'),
    jobId: JOB_ID,
    data: z.string().refine((d) => Buffer.byteLength(d) <= MAX_STDIN_MESSAGE_BYTES, `must be at most ${MAX_STDIN_MESSAGE_BYTES} bytes; send more messages`).optional(),
    eof: z.literal(true).optional(),
  }),
  z.strictObject({ action: z.literal('kill'), jobId: JOB_ID }),
] as const;

type LiveMessage = z.infer<(typeof liveMessageSchemas)[number]>;

export interface LiveActionDeps {
  io: JobIO;
  reply: (message: object) => Promise<unknown>;
}

const REFUSALS: Record<Exclude<WriteOutcome, 'ok'>, { code: string; message: string }> = {
  not_found: { code: 'not_found', message: 'no interactive job with this id' },
  forbidden: { code: 'forbidden', message: 'only the socket that started this job may write to it' },
  finished: { code: 'job_finished', message: 'the job has ended' },
  closed: { code: 'stdin_closed', message: 'stdin is closed (eof was sent); only kill is possible' },
  too_large: { code: 'payload_too_large', message: `stdin is limited to ${MAX_STDIN_BYTES} bytes and ${MAX_STDIN_MESSAGES} messages per job` },
};

export async function writeInput(connectionId: string, tenantId: string, message: LiveMessage, deps: LiveActionDeps): Promise<void> {
  const { jobId } = message;
  let control: InputControl;
  if (message.action === 'kill') control = { kill: true };
  else if ((message.data === undefined) === (message.eof === undefined)) {
    await deps.reply({ type: 'error', code: 'bad_message', message: 'stdin needs exactly one of data (a string) or eof: true', jobId });
    return;
  } else control = message.eof ? { eof: true } : { data: message.data! };
  const outcome = await deps.io.write(jobId, { tenantId, connectionId }, control, MAX_STDIN_BYTES);
  if (outcome !== 'ok') await deps.reply({ type: 'error', ...REFUSALS[outcome], jobId });
}

/** A late subscriber's catch-up: the output so far, in order (live events may interleave; `seq` orders them). */
export async function replayOutput(jobId: string, deps: LiveActionDeps): Promise<void> {
  for (const event of await deps.io.outputSoFar(jobId)) await deps.reply(event);
}
