/**
 * The worker's side of the supervisor protocol (see supervisor.py): one JSON
 * line per request and per response over the container's attached stdin and
 * stdout. Attach happens before the container starts, so no output is missed.
 */
import type { Container } from 'dockerode';
import { Writable } from 'node:stream';

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
  cpuExceeded: boolean;
  outputExceeded: boolean;
  oomKilled: boolean;
}

export interface SandboxFile {
  path: string;
  content: Buffer;
}

/** How long past the stages' own limits to wait for an answer before calling the sandbox broken. */
const ANSWER_GRACE_MS = 5_000;

export class SupervisorSession {
  private buffer = '';
  private stderrTail = '';
  private nextId = 1;
  private pending?: { id: string; resolve: (line: unknown) => void; reject: (err: Error) => void };
  private readyWaiter?: { resolve: () => void; reject: (err: Error) => void };
  private ended?: Error;
  private readonly stream: NodeJS.ReadWriteStream;

  private constructor(stream: NodeJS.ReadWriteStream, container: Container) {
    this.stream = stream;
    const stdout = new Writable({ write: (chunk: Buffer, _e, done) => (this.onStdout(chunk.toString('utf8')), done()) });
    const stderr = new Writable({ write: (chunk: Buffer, _e, done) => ((this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2048)), done()) });
    container.modem.demuxStream(stream, stdout, stderr);
    const end = () => this.fail(new Error(`sandbox supervisor ended${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`));
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', (err: Error) => this.fail(err));
  }

  /** Attaches to a created (not yet started) container. */
  static async attach(container: Container): Promise<SupervisorSession> {
    const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
    return new SupervisorSession(stream, container);
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
  async run(files: SandboxFile[], stages: StageRequest[]): Promise<StageOutcome[]> {
    const budget = stages.reduce((ms, s) => ms + s.wallTimeMs, 0) + ANSWER_GRACE_MS;
    const response = (await this.request(
      {
        files: files.map((f) => ({ path: f.path, content: f.content.toString('base64') })),
        stages: stages.map((s) => ({ ...s, stdin: (s.stdin ?? Buffer.alloc(0)).toString('base64') })),
      },
      budget,
    )) as { error?: string; stages?: (Omit<StageOutcome, 'stdout' | 'stderr'> & { stdout: string; stderr: string })[] };
    if (response.error || !response.stages) throw new Error(`sandbox supervisor refused the job: ${response.error ?? 'no stages'}`);
    return response.stages.map((s) => ({
      ...s,
      stdout: Buffer.from(s.stdout, 'base64').toString('utf8'),
      stderr: Buffer.from(s.stderr, 'base64').toString('utf8'),
    }));
  }

  private async request(payload: object, budget: number): Promise<unknown> {
    if (this.ended) throw this.ended;
    if (this.pending) throw new Error('sandbox supervisor is busy');
    const id = String(this.nextId++);
    const request = { id, ...payload };
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox supervisor did not answer within ${budget} ms`)), budget);
      this.pending = {
        id,
        resolve: (line) => (clearTimeout(timer), resolve(line)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.stream.write(`${JSON.stringify(request)}\n`);
    }).finally(() => (this.pending = undefined));
  }

  private onStdout(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (!line.trim()) continue;
      let message: { ready?: boolean; id?: string | null };
      try {
        message = JSON.parse(line);
      } catch {
        this.fail(new Error('sandbox supervisor wrote a malformed line'));
        return;
      }
      if (message.ready) this.readyWaiter?.resolve();
      else this.pending?.resolve(message);
    }
  }

  private fail(error: Error): void {
    if (this.ended) return;
    this.ended = error;
    this.readyWaiter?.reject(error);
    this.pending?.reject(error);
  }
}
