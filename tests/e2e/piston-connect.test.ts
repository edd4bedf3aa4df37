/**
 * Piston's interactive WebSocket protocol (`/api/v2/connect`) against the
 * whole local stack (serverless-offline, real Redis, emulators, a worker, two
 * relays), spoken by a raw `ws` client as a Piston client speaks it: messages
 * with a `type` and no `action`, the key in the query string.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type RunningStack } from '../../local/spawn-stack.ts';
import { connectSocket, type Socket } from '../support/socket-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const UPPER_UNTIL_QUIT = 'while True:\n    line = input()\n    if line == "quit":\n        break\n    print(line.upper(), flush=True)\nprint("bye")';
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack(ROOT, { RELAYS: '2', WORKER_CONCURRENCY: '2', POOL_SIZE: '2', GVISOR_POOL_SIZE: '0', LOG_LEVEL: 'warn' });
}, 180_000);
afterAll(() => stack?.stop());

type Message = Record<string, any>;
interface PistonSocket extends Socket {
  /** Resolves with the close code when the server closes the socket. */
  closed: Promise<number>;
}

/** A socket on the path a Piston client opens, with the API key as a query parameter. */
async function connect(): Promise<PistonSocket> {
  const socket = await connectSocket(`${stack.ws}/api/v2/connect`, stack.key);
  const closed = new Promise<number>((done) => socket.ws.once('close', (code) => done(code)));
  return { ...socket, closed };
}

/** Piston's messages, without the arrival time the test client adds. */
const received = (socket: Socket) => socket.messages.map(({ receivedAt: _t, ...m }) => m);
const stdoutOf = (socket: Socket) => socket.messages.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data).join('');
const init = (fields: object) => ({ type: 'init', version: '*', run_timeout: 20_000, ...fields });
/** A deadline for a job's whole run on a busy machine (cold Lambdas, a container per job). */
const JOB_MS = 60_000;

describe("Piston's /api/v2/connect", () => {
  it('runs an interactive Python program: runtime and stage first, each answer before the next line, exit code 0, then the close', async () => {
    const socket = await connect();
    socket.send(init({ language: 'py', files: [{ content: UPPER_UNTIL_QUIT }] }));
    const runtime = await socket.next((m) => m.type === 'runtime');
    await socket.next((m) => m.type === 'stage');
    for (const word of ['alpha', 'beta', 'gamma']) {
      socket.send({ type: 'data', stream: 'stdin', data: `${word}\n` });
      await socket.next(() => stdoutOf(socket).endsWith(`${word.toUpperCase()}\n`), JOB_MS);
    }
    socket.send({ type: 'data', stream: 'stdin', data: 'quit\n' });
    const exit = await socket.next((m) => m.type === 'exit', JOB_MS);
    await socket.closed;

    expect(runtime).toMatchObject({ language: 'python', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), jobId: expect.any(String) });
    expect(received(socket).slice(0, 2)).toEqual([{ type: 'runtime', language: 'python', version: runtime.version, jobId: runtime.jobId }, { type: 'stage', stage: 'run' }]);
    expect(stdoutOf(socket)).toBe('ALPHA\nBETA\nGAMMA\nbye\n');
    expect(received(socket).at(-1)).toEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
    expect(exit).toMatchObject({ stage: 'run', code: 0 });
    expect(socket.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('ends a looping program on a SIGKILL signal: exit with no code and signal SIGKILL', async () => {
    const socket = await connect();
    const loop = 'import time\nprint("looping", flush=True)\nwhile True:\n    time.sleep(0.05)';
    socket.send(init({ language: 'python', files: [{ name: 'loop.py', content: loop }] }));
    await socket.next(() => stdoutOf(socket) === 'looping\n', JOB_MS);
    socket.send({ type: 'signal', signal: 'SIGKILL' });
    const exit = await socket.next((m) => m.type === 'exit', JOB_MS);
    await socket.closed;

    expect(exit).toMatchObject({ type: 'exit', stage: 'run', code: null, signal: 'SIGKILL' });
  });

  it("ends the session's job when the client goes away, rather than leaving it to idle until its wall limit", async () => {
    const socket = await connect();
    socket.send(init({ language: 'python', files: [{ content: 'print("waiting", flush=True)\ninput()' }] }));
    const { jobId } = await socket.next((m) => m.type === 'runtime');
    await socket.next(() => stdoutOf(socket) === 'waiting\n', JOB_MS);
    socket.ws.close();

    let job: Message = {};
    const deadline = Date.now() + JOB_MS;
    while (job.status !== 'completed' && Date.now() < deadline) {
      job = (await (await fetch(`${stack.http}/jobs/${jobId}`, { headers: { 'x-api-key': stack.key } })).json()) as Message;
      if (job.status !== 'completed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(job.result).toMatchObject({ verdict: 'runtime_error', signal: 'SIGKILL', message: 'killed on request (kill action)' });
  });

  it("reports a compiled language's compile stage before the run stage and its output", async () => {
    const socket = await connect();
    socket.send(init({ language: 'c', files: [{ content: '#include <stdio.h>\nint main(void){puts("compiled");return 0;}' }] }));
    await socket.next((m) => m.type === 'exit' && m.stage === 'run', JOB_MS);
    await socket.closed;

    expect(received(socket).map((m) => (m.type === 'runtime' ? { type: 'runtime', language: m.language } : m))).toEqual([
      { type: 'runtime', language: 'c' },
      { type: 'stage', stage: 'compile' },
      { type: 'exit', stage: 'compile', code: 0, signal: null },
      { type: 'stage', stage: 'run' },
      { type: 'data', stream: 'stdout', data: 'compiled\n' },
      { type: 'exit', stage: 'run', code: 0, signal: null },
    ]);
  });

  it('refuses the handshake of a socket with a wrong key', async () => {
    await expect(connectSocket(`${stack.ws}/api/v2/connect`, 'rp_not_a_key')).rejects.toThrow(/401/);
  });

  it("answers a bad init with Piston's error message, then closes", async () => {
    const socket = await connect();
    socket.send({ type: 'init', language: 'python', files: [{ content: 'print(1)' }] });
    const error = await socket.next((m) => m.type === 'error');
    await socket.closed;

    expect(error).toMatchObject({ type: 'error', message: 'version is required as a string', closeCode: 4002 });
    expect(socket.messages.map((m) => m.type)).toEqual(['error']);
  });

  it("refuses data before init and a second init with Piston's close reasons", async () => {
    const early = await connect();
    early.send({ type: 'data', stream: 'stdin', data: 'x\n' });
    const notYet = await early.next((m) => m.type === 'error');
    await early.closed;

    const twice = await connect();
    twice.send(init({ language: 'python', files: [{ content: 'input()' }] }));
    await twice.next((m) => m.type === 'stage');
    twice.send(init({ language: 'python', files: [{ content: 'print(2)' }] }));
    const again = await twice.next((m) => m.type === 'error');
    await twice.closed;

    expect(notYet).toMatchObject({ message: 'Not yet initialized', closeCode: 4003 });
    expect(again).toMatchObject({ message: 'Already Initialized', closeCode: 4000 });
    expect(twice.messages.filter((m) => m.type === 'runtime')).toHaveLength(1);
  });
});
