/**
 * Live output and interactive runs against the whole local stack
 * (serverless-offline, real Redis, emulators, a worker, TWO relays), through a
 * raw WebSocket client and through the `runplane` CLI as a user runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type RunningStack } from '../../local/spawn-stack.ts';
import { connectSocket, type Socket } from '../support/socket-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ECHO_UPPER = 'import sys\nfor line in sys.stdin:\n    print(line.strip().upper(), flush=True)\nprint("bye")';
let stack: RunningStack;
let dir: string;

beforeAll(async () => {
  stack = await startStack(ROOT, { RELAYS: '2', WORKER_CONCURRENCY: '2', POOL_SIZE: '2', GVISOR_POOL_SIZE: '0', LOG_LEVEL: 'warn' });
  dir = mkdtempSync(join(tmpdir(), 'runplane-cli-'));
}, 180_000);
afterAll(() => stack?.stop());

const connect = (): Promise<Socket> => connectSocket(stack.ws, stack.key);
type Message = Record<string, any>;

/** The stdout a socket has received so far for a job, from its job.output events in seq order. */
function streamedStdout(socket: Socket, jobId: string): string {
  return socket.messages
    .filter((m) => m.type === 'job.output' && m.jobId === jobId && m.stream === 'stdout')
    .sort((a, b) => a.seq - b.seq)
    .map((m) => m.data)
    .join('');
}

async function run(socket: Socket, body: object): Promise<string> {
  return (await socket.request({ action: 'run', ...body }, (m) => m.type === 'run.accepted' || m.type === 'error')).jobId as string;
}

const completed = (socket: Socket, jobId: string) => socket.next((m) => m.jobId === jobId && (m.type === 'job.completed' || m.type === 'job.failed'), 60_000);

describe('over a raw WebSocket', () => {
  it('runs an interactive Python program: each answer arrives before the next line is sent, eof ends it with exit code 0', async () => {
    const socket = await connect();
    // A wall limit that a busy machine's cold Lambda start for the first stdin cannot eat.
    const jobId = await run(socket, { language: 'python', source: ECHO_UPPER, interactive: true, limits: { wallTimeMs: 20_000 } });
    expect(jobId).toBeTruthy();
    for (const word of ['alpha', 'beta', 'gamma']) {
      socket.send({ action: 'stdin', jobId, data: `${word}\n` });
      await socket.next(() => streamedStdout(socket, jobId).endsWith(`${word.toUpperCase()}\n`));
    }
    socket.send({ action: 'stdin', jobId, eof: true });
    const done = await completed(socket, jobId);
    socket.ws.close();

    expect(done.job.result).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'ALPHA\nBETA\nGAMMA\nbye\n' });
    const seqs = socket.messages.filter((m) => m.type === 'job.output').map((m) => m.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // in order and gap-free, though two relays push
    expect(socket.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('streams the first line at least 0.5 s before the end of a program that prints, sleeps 1 s and prints again', async () => {
    const socket = await connect();
    const source = 'import time\nprint("first", flush=True)\ntime.sleep(1)\nprint("second")';
    const jobId = await run(socket, { language: 'python', source, stream: true });
    const done = await completed(socket, jobId);
    socket.ws.close();

    const first = socket.messages.find((m) => m.type === 'job.output' && m.data.includes('first'))!;
    expect(done.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(500);
    expect(streamedStdout(socket, jobId)).toBe('first\nsecond\n');
    expect(done.job.result).toMatchObject({ verdict: 'ok', stdout: 'first\nsecond\n' });
  });

  it('gives a late subscriber the output so far, then the live stream', async () => {
    const starter = await connect();
    const source = 'import time\nprint("early", flush=True)\ntime.sleep(1.5)\nprint("late")';
    const jobId = await run(starter, { language: 'python', source, stream: true });
    await starter.next((m) => m.type === 'job.output' && m.data.includes('early'));
    const late = await connect();
    late.send({ action: 'subscribe', jobId });
    await completed(late, jobId);
    starter.ws.close();
    late.ws.close();

    expect(streamedStdout(late, jobId)).toBe('early\nlate\n');
  });

  it('ends an interactive job on kill with a verdict that says so, and refuses stdin afterwards', async () => {
    const socket = await connect();
    const jobId = await run(socket, { language: 'python', source: 'print("ready", flush=True)\ninput()', interactive: true });
    await socket.next(() => streamedStdout(socket, jobId) === 'ready\n');
    socket.send({ action: 'kill', jobId });
    const done = await completed(socket, jobId);
    const refused = await socket.request({ action: 'stdin', jobId, data: 'too late\n' }, (m: Message) => m.type === 'error');
    socket.ws.close();

    expect(done.job.result).toMatchObject({ verdict: 'runtime_error', signal: 'SIGKILL', message: 'killed on request (kill action)' });
    expect(refused).toMatchObject({ code: 'job_finished', jobId });
  });
});

describe('through the runplane CLI', () => {
  function cli(args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [join(ROOT, 'bin/runplane.mjs'), ...args], {
      cwd: dir,
      env: { ...process.env, RUNPLANE_URL: stack.http, RUNPLANE_WS_URL: stack.ws, RUNPLANE_API_KEY: stack.key, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return {
      child,
      exited,
      stdout: () => stdout,
      stderr: () => stderr,
      async stdoutEndsWith(text: string): Promise<void> {
        const deadline = Date.now() + 30_000;
        while (!stdout.endsWith(text)) {
          if (Date.now() > deadline) throw new Error(`CLI stdout ${JSON.stringify(stdout)} never ended with ${JSON.stringify(text)}; stderr ${stderr}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
    };
  }
  const file = (name: string, content: string) => (writeFileSync(join(dir, name), content), name);

  it('runs an interactive Python program: answers line by line, closing stdin ends it with exit code 0', async () => {
    const session = cli(['run', file('upper.py', ECHO_UPPER), '--wall-time', '20000']);
    for (const word of ['alpha', 'beta', 'gamma']) {
      session.child.stdin.write(`${word}\n`);
      await session.stdoutEndsWith(`${word.toUpperCase()}\n`);
    }
    session.child.stdin.end();

    expect(await session.exited).toBe(0);
    expect(session.stdout()).toBe('ALPHA\nBETA\nGAMMA\nbye\n');
    expect(session.stderr()).toBe(''); // not a TTY: no progress lines
  });

  it("exits with the program's code, 128 + the signal when killed by one, and 125 for our own errors", async () => {
    const exits = file('exits.py', 'import sys\nprint(input(), file=sys.stderr)\nsys.exit(3)');
    const withStdin = cli(['run', exits, '--stdin', 'to stderr']);
    const signalled = cli(['run', file('segv.sh', 'kill -SEGV $$'), '--stdin', '']);
    const unknown = cli(['run', file('prog.xyz', 'x')]);
    const badKey = cli(['run', exits, '--stdin', ''], { RUNPLANE_API_KEY: 'rp_wrong_key_0123456789' });

    expect(await withStdin.exited).toBe(3);
    expect(withStdin.stderr()).toBe('to stderr\n');
    expect(await signalled.exited).toBe(128 + 11);
    expect(await unknown.exited).toBe(125);
    expect(unknown.stderr()).toMatch(/cannot tell the language of prog\.xyz/);
    expect(await badKey.exited).toBe(125);
    expect(badKey.stderr()).toMatch(/HTTP 401 \(check RUNPLANE_API_KEY\)/);
  });

  it('passes arguments after -- and reads --stdin - from its own stdin', async () => {
    const session = cli(['run', file('args.js', 'const s = require("fs").readFileSync(0, "utf8"); console.log(process.argv.slice(2).join("|"), s.trim());'), '--stdin', '-', '--', 'a b', '--c']);
    session.child.stdin.end('piped input\n');
    expect(await session.exited).toBe(0);
    expect(session.stdout()).toBe('a b|--c piped input\n');
  });

  it('lists the languages and reads a job back', async () => {
    const languages = cli(['languages']);
    expect(await languages.exited).toBe(0);
    expect(languages.stdout()).toMatch(/^python\s+Python 3\.\d+/m);

    const socket = await connect();
    const jobId = await run(socket, { language: 'python', source: 'print(42)' });
    await completed(socket, jobId);
    socket.ws.close();
    const job = cli(['jobs', 'get', jobId]);
    expect(await job.exited).toBe(0);
    expect(JSON.parse(job.stdout())).toMatchObject({ jobId, status: 'completed', result: { stdout: '42\n' } });
  });
});
