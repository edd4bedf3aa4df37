/**
 * The worker's half of a streaming or interactive job: output from the
 * sandbox becomes numbered `job.output` events (published and logged through
 * JobIO), and for an interactive job the client's controls are popped from the
 * job's input queue on a connection of its own and handed to the sandbox.
 * Output events are best effort (the final result holds all the output), but
 * they stay in order and all of them are sent before the job's final event.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Redis } from 'ioredis';
import { JobIO, type InputControl } from '../core/adapters/job-io.ts';
import type { JobMessage } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import type { LiveIO, OutputStream, StdinControl } from './sandbox-host/live-io.ts';

export interface LiveJobDeps {
  io: JobIO;
  /** A new connection for the input queue's blocking pop (closed when the job ends). */
  openBlocking: () => Redis;
  log: Logger;
}

export interface LiveJob {
  live: LiveIO;
  /**
   * After the run, before the final event: every output event sent; with `ended`
   * (not when the delivery will be retried) later input is refused.
   */
  finish(ended?: boolean): Promise<void>;
}

/**
 * Undefined for a plain job: it gets no live machinery and no extra Redis traffic.
 * `seqBefore`: events already in the job's output log. A delivery retried after an
 * infrastructure failure numbers its output after the earlier attempt's, so no
 * client drops it as already seen (it may then see the start of the output twice).
 */
export function liveJob(message: Pick<JobMessage, 'jobId' | 'stream' | 'interactive'>, deps: LiveJobDeps, seqBefore = 0): LiveJob | undefined {
  if (!message.stream && !message.interactive) return undefined;
  const { jobId } = message;
  let seq = seqBefore;
  let sent: Promise<void> = Promise.resolve();
  // A multi-byte character may be split between two chunks: decode each stream as one text.
  const decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  const onOutput = (stream: OutputStream, chunk: Buffer) => {
    const data = decoders[stream].write(chunk);
    if (!data) return;
    const event = { type: 'job.output' as const, jobId, seq: ++seq, stream, data };
    // Commands on one connection run in order, so the events do; we only chain to know when all are sent.
    const append = deps.io.appendOutput(event).catch((err: unknown) => deps.log.warn({ err, seq: event.seq }, 'could not publish job output'));
    sent = sent.then(() => append);
  };
  const live: LiveIO = { onOutput, ...(message.interactive ? { input: (send) => pumpInput(jobId, send, deps) } : {}) };
  return {
    live,
    async finish(ended = true) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = decoders[stream].end();
        if (rest) onOutput(stream, Buffer.from(rest));
      }
      await sent;
      if (message.interactive && ended) await deps.io.end(jobId).catch((err: unknown) => deps.log.warn({ err }, 'could not close the job input'));
    },
  };
}

const toSandbox = (control: InputControl): StdinControl => ('data' in control ? { stdin: Buffer.from(control.data, 'utf8') } : control);

/** Pops controls until stopped; returns the stop function. */
function pumpInput(jobId: string, send: (control: StdinControl) => void, deps: LiveJobDeps): () => void {
  const blocking = deps.openBlocking();
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        send(toSandbox(await JobIO.nextControl(blocking, jobId)));
      } catch (err) {
        if (stopped) return;
        deps.log.warn({ err }, 'could not read the job input; retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();
  return () => {
    stopped = true;
    blocking.disconnect();
  };
}
