/**
 * The worker's side of the supervisor protocol (see supervisor/main.py): one JSON
 * line per request and per response over the container's attached stdin and
 * stdout. Attach happens before the container starts, so no output is missed.
 */
import type { Container } from 'dockerode';
import { Writable } from 'node:stream';
import { MAX_LIMITS } from '../../core/limits.ts';
import { MAX_COMPILED_BYTES, MAX_COMPILED_FILES } from '../../core/test-cases.ts';
import type { LiveIO, OutputStream, StdinControl } from './live-io.ts';
import { ReplyLines, ReplyTooLargeError } from './reply-lines.ts';

export interface StageRequest {
  name: 'compile' | 'run' | 'probe';
  cmd: string[];
  stdin?: Buffer;
  wallTimeMs: number;
  cpuTimeMs: number;
  outputBytes: number;
  fileSizeBytes: number;
  openFiles: number;
  /** RLIMIT_NPROC, when uids are private to the sandbox. */
  processes?: number;
  /** Send the stage's output as it is written (live_io.py). */
  stream?: boolean;
  /** Keep the stage's stdin open for controls (implies stream). */
  interactive?: boolean;
}

export interface StageOutcome {
  name: string;
  exitCode: number | null;
  signal: string | null;
  timeMs: number;
  cpuTimeMs: number;
  memoryKb: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Ended by a kill control (interactive jobs). */
  killed?: boolean;
  cpuExceeded: boolean;
  outputExceeded: boolean;
  oomKilled: boolean;
}

export interface SandboxFile {
  path: string;
  content: Buffer;
  /** Written with mode 0700 (a compiled program carried into a test's work dir). */
  executable?: boolean;
}

/** What `runCollecting` asks for: the work dir's regular files after the stages, within these bounds. */
export interface CollectRequest {
  maxBytes: number;
  maxFiles: number;
}

export interface CollectedRun {
  stages: StageOutcome[];
  /** The work dir after the stages, when all succeeded and it fit the bounds. */
  workDir?: SandboxFile[];
  /** Why the work dir was not collected though all stages succeeded (over the bounds). */
  collectError?: string;
}

/** Which files to bring back after the run stage (sandbox/supervisor/outputs.py). */
export interface OutputsRequest {
  patterns: string[];
  maxFiles: number;
  maxBytes: number;
}

/** The files brought back: content in base64, as the supervisor sends it. */
export interface CollectedOutputs {
  files: { path: string; size: number; content: string }[];
  truncated: boolean;
}

/** How long past the stages' own limits to wait for an answer before calling the sandbox broken. */
const ANSWER_GRACE_MS = 5_000;

/** The supervisor broke the protocol: the session is over and its container must go. */
export class SupervisorProtocolError extends Error {
  override name = 'SupervisorProtocolError';
}

export class SupervisorSession {
  /**
   * The longest reply line a supervisor may write: two stages' stdout and stderr
   * at the largest output cap, a collected work dir and the largest output files,
   * base64 (4/3), plus room for the JSON around them.
   */
  static readonly MAX_REPLY_BYTES = Math.ceil(((4 * MAX_LIMITS.outputBytes + MAX_COMPILED_BYTES + MAX_LIMITS.outputFilesBytes) * 4) / 3) + 64 * 1024 + MAX_COMPILED_FILES * 512;
  private readonly lines = new ReplyLines(SupervisorSession.MAX_REPLY_BYTES);
  private stderrTail = '';
  private nextId = 1;
  private pending?: { id: string; resolve: (line: unknown) => void; reject: (err: Error) => void; live?: LiveIO };
  private readyWaiter?: { resolve: () => void; reject: (err: Error) => void };
  private ended?: Error;
  private readonly stream: NodeJS.ReadWriteStream;

  private constructor(stream: NodeJS.ReadWriteStream, demux: (stdout: Writable, stderr: Writable) => void) {
    this.stream = stream;
    const stdout = new Writable({ write: (chunk: Buffer, _e, done) => (this.onStdout(chunk), done()) });
    const stderr = new Writable({ write: (chunk: Buffer, _e, done) => ((this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2048)), done()) });
    demux(stdout, stderr);
    const end = () => this.fail(new Error(`sandbox supervisor ended${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`));
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', (err: Error) => this.fail(err));
  }

  /** Attaches to a created (not yet started) container. */
  static async attach(container: Container): Promise<SupervisorSession> {
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    return new SupervisorSession(stream, (stdout, stderr) => container.modem.demuxStream(stream, stdout, stderr));
  }

  /** A session over a stream that carries the supervisor's stdout alone, not Docker's multiplexed frames (tests). */
  static overStream(stream: NodeJS.ReadWriteStream): SupervisorSession {
    return new SupervisorSession(stream, (stdout) => stream.pipe(stdout));
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Resolves when the supervisor says it is ready. */
  ready(timeoutMs = 15_000): Promise<void> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('sandbox supervisor did not start in time')), timeoutMs);
      this.readyWaiter = { resolve: () => (clearTimeout(timer), resolve()), reject: (err) => (clearTimeout(timer), reject(err)) };
    });
  }

  /** Runs the stages in order; a stage that fails ends the job. */
  async run(files: SandboxFile[], stages: StageRequest[], live?: LiveIO): Promise<StageOutcome[]> {
    return (await this.runCollecting(files, stages, undefined, live)).stages;
  }

  /** Like `run`, and with `collect`, also brings back the work dir as the stages left it. */
  runCollecting(files: SandboxFile[], stages: StageRequest[], collect?: CollectRequest, live?: LiveIO): Promise<CollectedRun> {
    return this.exchange(files, stages, collect ? { collect } : {}, live);
  }

  /** Runs the stages, then (when asked, and the run stage ran) brings back the files that match `outputs`. */
  runWithOutputs(files: SandboxFile[], stages: StageRequest[], outputs?: OutputsRequest, live?: LiveIO): Promise<CollectedRun & { outputs?: CollectedOutputs }> {
    return this.exchange(files, stages, outputs ? { outputs } : {}, live);
  }

  private async exchange(files: SandboxFile[], stages: StageRequest[], extras: { collect?: CollectRequest; outputs?: OutputsRequest }, live?: LiveIO): Promise<CollectedRun & { outputs?: CollectedOutputs }> {
    const budget = stages.reduce((ms, s) => ms + s.wallTimeMs, 0) + ANSWER_GRACE_MS;
    const response = (await this.request(
      {
        files: files.map((f) => ({ path: f.path, content: f.content.toString('base64'), ...(f.executable ? { executable: true } : {}) })),
        stages: stages.map((s) => ({ ...s, stdin: (s.stdin ?? Buffer.alloc(0)).toString('base64') })),
        ...extras,
      },
      budget,
      live,
    )) as {
      error?: string;
      stages?: (Omit<StageOutcome, 'stdout' | 'stderr'> & { stdout: string; stderr: string })[];
      workDir?: { path: string; content: string; executable: boolean }[];
      collectError?: string;
      outputs?: CollectedOutputs;
    };
    if (response.error || !response.stages) throw new Error(`sandbox supervisor refused the job: ${response.error ?? 'no stages'}`);
    return {
      stages: response.stages.map((s) => ({
        ...s,
        stdout: Buffer.from(s.stdout, 'base64').toString('utf8'),
        stderr: Buffer.from(s.stderr, 'base64').toString('utf8'),
      })),
      ...(response.workDir ? { workDir: response.workDir.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'base64'), executable: f.executable })) } : {}),
      ...(response.collectError ? { collectError: response.collectError } : {}),
      ...(response.outputs ? { outputs: response.outputs } : {}),
    };
  }

  private async request(payload: object, budget: number, live?: LiveIO): Promise<unknown> {
    if (this.ended) throw this.ended;
    if (this.pending) throw new Error('sandbox supervisor is busy');
    const id = String(this.nextId++);
    const request = { id, ...payload };
    let stopInput: (() => void) | undefined;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox supervisor did not answer within ${budget} ms`)), budget);
      this.pending = {
        id,
        resolve: (line) => (clearTimeout(timer), resolve(line)),
        reject: (err) => (clearTimeout(timer), reject(err)),
        ...(live ? { live } : {}),
      };
      this.stream.write(`${JSON.stringify(request)}\n`);
      stopInput = live?.input?.((control) => this.control(id, control));
    }).finally(() => {
      this.pending = undefined;
      stopInput?.();
    });
  }

  /** Sends an interactive job's control to the supervisor; dropped once that job has its answer. */
  private control(id: string, control: StdinControl): void {
    if (this.ended || this.pending?.id !== id) return;
    const line = 'stdin' in control ? { id, stdin: control.stdin.toString('base64') } : { id, ...control };
    this.stream.write(`${JSON.stringify(line)}\n`);
  }

  private onStdout(chunk: Buffer): void {
    if (this.ended) return; // a failed session reads nothing more
    let lines: Buffer[];
    try {
      lines = this.lines.push(chunk);
    } catch (error) {
      if (!(error instanceof ReplyTooLargeError)) throw error;
      return this.fail(error);
    }
    for (const line of lines) {
      const text = line.toString('utf8');
      if (!text.trim()) continue;
      let message: { ready?: boolean; id?: string | null; output?: { stream: OutputStream; data: string } };
      try {
        message = JSON.parse(text);
      } catch {
        return this.fail(new SupervisorProtocolError('sandbox supervisor wrote a malformed line'));
      }
      if (message.ready) {
        this.readyWaiter?.resolve();
      } else if (!this.pending || message.id !== this.pending.id) {
        // Out of step with its requests: no later answer can be trusted to be the one asked for.
        const expected = this.pending ? `request ${this.pending.id}` : 'no request';
        return this.fail(new SupervisorProtocolError(`sandbox supervisor answered another request (id ${String(message.id)}, expected ${expected})`));
      } else if (message.output) {
        this.pending.live?.onOutput?.(message.output.stream, Buffer.from(message.output.data, 'base64'));
      } else {
        this.pending.resolve(message);
      }
    }
  }

  /**
   * Ends the session for good. The stream is closed too, so the supervisor reads
   * the end of its stdin and exits, and the container is seen exited at once.
   */
  private fail(error: Error): void {
    if (this.ended) return;
    this.ended = error;
    (this.stream as NodeJS.ReadWriteStream & { destroy?: () => void }).destroy?.();
    this.readyWaiter?.reject(error);
    this.pending?.reject(error);
  }
}
