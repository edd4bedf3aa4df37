/**
 * `runplane run <file>`: runs a file over the WebSocket API with live output.
 * Without --stdin the job is interactive: our stdin is forwarded as the
 * program reads it (line by line from a terminal) and its end closes the
 * program's stdin; Ctrl-C kills the job (twice: we stop waiting). With
 * --stdin TEXT (or --stdin - for all of our stdin, read first) the program
 * gets that input and its output still streams. Resolves to the exit code.
 */
import { readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import WebSocket from 'ws';
import { jobOutputEventSchema, type JobResult } from '../../core/contract.ts';
import { CliError, languageOf, type CliConfig } from './config.ts';
import { exitCodeOf, RUNPLANE_ERROR } from './exit-code.ts';
import { OrderedOutput } from './ordered-output.ts';

export interface RunArgs {
  file: string;
  language?: string;
  /** Fixed stdin; '-' reads ours to its end first; undefined: interactive. */
  stdin?: string;
  /** limits.wallTimeMs (an interactive job ends at it, idle or not). */
  wallTimeMs?: number;
  args: string[];
}

export interface Terminal {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Characters per `stdin` message: at most 4 bytes each, under the API's 64 KiB per message. */
const STDIN_CHARS_PER_MESSAGE = 16 * 1024;
/** Verdicts that a shell would not explain by itself: said on stderr. */
const EXPLAINED = new Set(['time_limit_exceeded', 'memory_limit_exceeded', 'output_limit_exceeded', 'internal_error']);

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function runFile(args: RunArgs, config: CliConfig, term: Terminal): Promise<number> {
  let source: string;
  try {
    source = readFileSync(args.file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${args.file}: ${(e as Error).message}`);
  }
  const language = args.language ?? languageOf(args.file);
  const interactive = args.stdin === undefined;
  const stdin = args.stdin === '-' ? await readAll(term.stdin) : args.stdin;
  const progress = (text: string) => term.stderr.isTTY && term.stderr.write(`\x1b[2m[runplane] ${text}\x1b[0m\n`);
  const output = new OrderedOutput({ stdout: term.stdout as never, stderr: term.stderr as never });

  const ws = new WebSocket(config.wsUrl, { headers: { 'x-api-key': config.apiKey } });
  const send = (message: object) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(message));
  let jobId: string | undefined;
  let done = false;
  let stopForwarding = () => {};

  const code = await new Promise<number>((finish) => {
    const end = (exitCode: number, message?: string) => {
      if (done) return;
      done = true;
      if (message) term.stderr.write(`runplane: ${message}\n`);
      finish(exitCode);
    };
    const onSigint = () => (jobId && !done ? (send({ action: 'kill', jobId }), progress('killing the job (Ctrl-C again to stop waiting)')) : end(130));
    process.on('SIGINT', onSigint);
    stopForwarding = () => process.off('SIGINT', onSigint);

    ws.on('unexpected-response', (_req, res) => end(RUNPLANE_ERROR, `the WebSocket API refused the connection: HTTP ${res.statusCode}${res.statusCode === 401 ? ' (check RUNPLANE_API_KEY)' : ''}`));
    ws.on('error', (err) => end(RUNPLANE_ERROR, `cannot reach the WebSocket API at ${config.wsUrl}: ${err.message}`));
    ws.on('close', () => end(RUNPLANE_ERROR, 'the WebSocket API closed the connection before the job ended'));
    const limits = args.wallTimeMs !== undefined ? { limits: { wallTimeMs: args.wallTimeMs } } : {};
    ws.on('open', () => send({ action: 'run', language, source, args: args.args, ...limits, ...(interactive ? { interactive: true } : { stdin, stream: true }) }));
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; jobId?: string; code?: string; message?: string; job?: { result?: JobResult; resultOmitted?: boolean } };
      switch (message.type) {
        case 'run.accepted':
          jobId = message.jobId!;
          progress(`job ${jobId} queued`);
          if (interactive) stopForwarding = forwardStdin(term.stdin, (m) => send({ ...m, jobId }), stopForwarding);
          return;
        case 'job.running':
          return void progress('running');
        case 'job.output': {
          const event = jobOutputEventSchema.safeParse(message);
          if (event.success) output.add(event.data);
          return;
        }
        case 'job.completed': {
          const result = message.job?.result;
          if (!result) return end(RUNPLANE_ERROR, `the result is too large for a WebSocket message; read it with: runplane jobs get ${jobId}`);
          output.finish(result);
          if (result.verdict === 'compile_error') term.stderr.write(result.compile?.stderr ?? '');
          const explain = EXPLAINED.has(result.verdict) || result.message === 'killed on request (kill action)';
          progress(`${result.verdict} in ${result.timeMs} ms`);
          return end(exitCodeOf(result), explain ? `${result.verdict}${result.message ? `: ${result.message}` : ''}` : undefined);
        }
        case 'job.failed':
          return end(RUNPLANE_ERROR, `the platform could not run the job ${jobId ?? ''} (not a fault of the program)`);
        case 'error':
          // A stdin write racing the job's end is not a failure: the result follows.
          if (message.code === 'job_finished' || message.code === 'stdin_closed') return;
          return end(RUNPLANE_ERROR, `${message.code}: ${message.message}`);
      }
    });
  });
  stopForwarding();
  ws.removeAllListeners('close');
  ws.close();
  return code;
}

/** Forwards our stdin as `stdin` messages, then eof; returns the function that stops it (and `andThen`). */
function forwardStdin(stdin: NodeJS.ReadableStream, send: (message: object) => void, andThen: () => void): () => void {
  const decoder = new StringDecoder('utf8');
  const forward = (text: string) => {
    for (let at = 0; at < text.length; at += STDIN_CHARS_PER_MESSAGE) send({ action: 'stdin', data: text.slice(at, at + STDIN_CHARS_PER_MESSAGE) });
  };
  const onData = (chunk: Buffer) => forward(decoder.write(chunk));
  const onEnd = () => {
    forward(decoder.end());
    send({ action: 'stdin', eof: true });
  };
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
    andThen();
  };
}
