/**
 * Runs one command in a sandbox container through the Engine API's exec, with
 * stdin, a wall-time limit and an output cap. When a limit is hit the whole
 * container is killed: it serves a single job, so nothing else is lost, and
 * killing it is the only way to stop every process the program started.
 */
import type { Container } from 'dockerode';
import { Writable } from 'node:stream';
import { SANDBOX_USER, WORK_DIR } from './container-spec.ts';

export interface ExecOptions {
  stdin: Buffer;
  timeoutMs: number;
  /** Cap on each of stdout and stderr. */
  outputBytes: number;
}

export interface ExecOutcome {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timeMs: number;
  timedOut: boolean;
  /** A stream went over the cap and was cut. */
  outputExceeded: boolean;
}

/** Collects a stream up to `cap` bytes and reports when more arrived. */
class CappedSink extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  exceeded = false;

  constructor(
    private readonly cap: number,
    private readonly onExceeded: () => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const room = this.cap - this.size;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.size = this.cap;
      if (!this.exceeded) {
        this.exceeded = true;
        this.onExceeded();
      }
    } else {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function execInContainer(container: Container, cmd: string[], options: ExecOptions): Promise<ExecOutcome> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    User: SANDBOX_USER,
    WorkingDir: WORK_DIR,
  });
  let killed: Promise<unknown> | undefined;
  const kill = () => {
    killed ??= container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  };
  const stdout = new CappedSink(options.outputBytes, kill);
  const stderr = new CappedSink(options.outputBytes, kill);

  const started = performance.now();
  const stream = await exec.start({ hijack: true, stdin: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);

  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', (err: Error) => (killed ? resolve() : reject(err)));
  });
  container.modem.demuxStream(stream, stdout, stderr);
  // The program may exit without reading its input: a write error then is expected.
  stream.on('error', () => undefined);
  stream.end(options.stdin);

  try {
    await ended;
  } finally {
    clearTimeout(timer);
  }
  const timeMs = Math.round(performance.now() - started);
  await killed;
  const info = await exec.inspect();
  return {
    stdout: stdout.text(),
    stderr: stderr.text(),
    exitCode: info.ExitCode ?? null,
    timeMs,
    timedOut,
    outputExceeded: stdout.exceeded || stderr.exceeded,
  };
}
