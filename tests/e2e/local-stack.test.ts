/**
 * The whole local stack, started exactly as the README says (`npm start`),
 * driven over HTTP like a client would, then stopped with Ctrl-C (SIGINT):
 * within 3 s (the goal of issue 9) and leaving nothing behind. A second stack
 * is SIGKILLed, which it cannot handle: its children must go by themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';
import { descendants, isAlive, type ProcessInfo } from '../../local/process-tree.ts';
import { startStack } from '../../local/spawn-stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'rp_e2e_0123456789abcdef0123456789';
const docker = new Docker();
let stack: ChildProcess;
let base: string;
let output = '';

/** Containers of one stack's workers (ids `local-<stack pid>-worker-<n>`): other test files run pools at the same time. */
async function stackContainers(stackPid: number): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: ['io.runplane.managed=true'] } });
  return list.filter((c) => c.Labels['io.runplane.worker']?.startsWith(`local-${stackPid}-`)).map((c) => c.Id);
}

/** Every port the stack printed: API, WebSocket, Redis, the emulators, the AI node, worker metrics. */
function printedPorts(text: string): number[] {
  return [...new Set([...text.matchAll(/(?:127\.0\.0\.1|localhost):(\d+)/g)].map((m) => Number(m[1])))];
}

const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

/** What is left of a stack: its processes still alive, its containers, its ports still open. */
async function leftovers(stackPid: number, processes: ProcessInfo[], ports: number[]) {
  const open = await Promise.all(ports.map(listening));
  return {
    processes: processes.filter(isAlive).map((p) => `${p.pid} ${p.cmdline.slice(0, 80)}`),
    containers: await stackContainers(stackPid),
    ports: ports.filter((_, i) => open[i]),
  };
}

/** Polls until nothing is left (or the deadline passes), then returns what is left. */
async function untilNothingLeft(stackPid: number, processes: ProcessInfo[], ports: number[], deadlineMs: number) {
  const deadline = Date.now() + deadlineMs;
  let left = await leftovers(stackPid, processes, ports);
  while ((left.processes.length || left.containers.length || left.ports.length) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await leftovers(stackPid, processes, ports);
  }
  return left;
}

const nothing = { processes: [], containers: [], ports: [] };

beforeAll(async () => {
  const [httpPort, wsPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  stack = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, HTTP_PORT: String(httpPort), WS_PORT: String(wsPort), RUNPLANE_API_KEY: KEY },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stack.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  stack.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`stack not ready in time:\n${output}`)), 170_000);
    stack.stdout!.on('data', () => {
      if (/^ready: [^\n]*\n[\s\S]*\/jobs\/<jobId>/m.test(output)) {
        clearTimeout(timer);
        ready();
      }
    });
    stack.once('exit', (code) => fail(new Error(`npm start exited with ${code}:\n${output}`)));
  });
}, 180_000);

afterAll(async () => {
  if (stack.exitCode === null && stack.signalCode === null) {
    try {
      process.kill(-stack.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function runToEnd(request: object) {
  const submitted = await api('POST', '/run', request);
  expect(submitted.status).toBe(202);
  expect(submitted.body).toEqual({ jobId: expect.any(String), status: 'queued' });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const job = await api('GET', `/jobs/${submitted.body.jobId}`);
    expect(job.status).toBe(200);
    if (job.body.status === 'completed' || job.body.status === 'failed') return job.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('job did not finish');
}

describe('the local stack from npm start', () => {
  it('prints the ready line with both URLs and the key', () => {
    expect(output).toMatch(new RegExp(`^ready: http=${base} ws=ws://127\\.0\\.0\\.1:\\d+ key=${KEY}$`, 'm'));
    expect(output).toContain('curl -s -X POST');
  });

  it('runs Python reading stdin (the README example)', async () => {
    const job = await runToEnd({ language: 'python', source: 'print(input()[::-1])', stdin: 'abc' });
    expect(job).toMatchObject({ status: 'completed', language: 'python', result: { verdict: 'ok', stdout: 'cba\n', stderr: '', exitCode: 0 } });
    expect(job.result.timeMs).toEqual(expect.any(Number));
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.createdAt));
  });

  it('runs JavaScript', async () => {
    const job = await runToEnd({ language: 'javascript', source: 'console.log([1,2,3].map(x => x * 2).join(" "))' });
    expect(job.result).toMatchObject({ verdict: 'ok', stdout: '2 4 6\n' });
  });

  it('reports a C++ compile error', async () => {
    const job = await runToEnd({ language: 'cpp', source: 'int main() { return nope; }' });
    expect(job.result.verdict).toBe('compile_error');
    expect(job.result.compile.stderr).toContain('nope');
  });

  it('stops a program that exceeds the wall-time limit', async () => {
    const job = await runToEnd({ language: 'python', source: 'import time\ntime.sleep(60)', limits: { wallTimeMs: 1000 } });
    expect(job.result.verdict).toBe('time_limit_exceeded');
  });

  it('lists the languages with versions read from the sandbox image', async () => {
    const res = await api('GET', '/languages');
    expect(res.status).toBe(200);
    const versions = Object.fromEntries(res.body.languages.map((l: { id: string; version: string }) => [l.id, l.version]));
    expect(versions.python).toMatch(/^Python 3\./);
    expect(versions.javascript).toMatch(/^v\d+\./);
    expect(versions.cpp).toMatch(/^g\+\+/);
  });

  it('runs Java from its toolchain image (a public class of any name), then lists its version', async () => {
    const source = 'public class HelloWorld {\n  public static void main(String[] a) { System.out.println("Hello, " + new java.util.Scanner(System.in).nextLine()); }\n}\n';
    const job = await runToEnd({ language: 'java', source, stdin: 'e2e\n' });
    expect(job.result, JSON.stringify(job.error ?? job.result.compile)).toMatchObject({ verdict: 'ok', stdout: 'Hello, e2e\n' });
    // Published after the worker started taking jobs, once it read the toolchain images.
    const deadline = Date.now() + 60_000;
    let java: { version: string | null; aliases: string[] } | undefined;
    while (Date.now() < deadline && !java?.version) {
      java = (await api('GET', '/languages')).body.languages.find((l: { id: string }) => l.id === 'java');
      if (!java?.version) await new Promise((r) => setTimeout(r, 200));
    }
    expect(java).toMatchObject({ version: expect.stringMatching(/^openjdk version "21\./), aliases: ['jdk', 'openjdk'] });
  });

  it('returns the files a program leaves that match outputs', async () => {
    const source = 'import numpy as np\nnp.savetxt("result.csv", np.arange(6).reshape(2, 3), delimiter=",", fmt="%d")\nopen("skip.txt", "w").write("x")';
    const job = await runToEnd({ language: 'python', source, outputs: ['*.csv'] });
    expect(job.result).toMatchObject({ verdict: 'ok', outputs: [{ path: 'result.csv', size: 12 }], outputsTruncated: false });
    expect(Buffer.from(job.result.outputs[0].contentBase64, 'base64').toString()).toBe('0,1,2\n3,4,5\n');
  });

  it('rejects an outputs glob that leaves the work dir, naming it', async () => {
    const res = await api('POST', '/run', { language: 'python', source: 'x', outputs: ['../*'] });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toEqual([{ field: 'outputs.0', reason: expect.stringContaining('relative glob') }]);
  });

  it.each([
    ['malformed JSON', '{"language":', {}, 400],
    ['an unknown language', { language: 'cobol', source: 'x' }, {}, 400],
    ['a missing key', { language: 'python', source: 'x' }, { 'x-api-key': '' }, 401],
    ['a wrong key', { language: 'python', source: 'x' }, { 'x-api-key': 'wrong-key-wrong-key' }, 401],
    ['a source over the limit', { language: 'python', source: 'x'.repeat(300 * 1024) }, {}, 413],
  ])('rejects %s precisely', async (_case, body, headers, status) => {
    const res = await api('POST', '/run', body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  });

  it('answers 404 for an unknown job', async () => {
    expect((await api('GET', '/jobs/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('stops every process, container and port within 3 s of Ctrl-C, without SIGKILL', async () => {
    const processes = descendants(stack.pid!);
    const stackPid = processes.find((p) => /^\S*node --import tsx local\/stack\.ts/.test(p.cmdline))!.pid;
    const ports = printedPorts(output);
    expect(processes.map((p) => p.cmdline).join('\n')).toMatch(/worker\/main\.ts[\s\S]*relay\/main\.ts|relay\/main\.ts[\s\S]*worker\/main\.ts/);
    expect(await stackContainers(stackPid)).not.toEqual([]);

    const exited = new Promise<void>((r) => stack.once('exit', () => r()));
    const signalled = performance.now();
    // Ctrl-C signals the terminal's whole foreground process group: npm, sh and the stack.
    process.kill(-stack.pid!, 'SIGINT');
    await exited;
    const stopMs = performance.now() - signalled;
    console.log(`Ctrl-C → npm start exited in ${Math.round(stopMs)} ms; the stack says: ${/\[stack\] (stopped in .*)$/m.exec(output)?.[1]}`);

    expect(output).toMatch(/^\[stack\] stopped in [\d.]+ s .*; SIGKILL needed: none$/m);
    expect(stopMs).toBeLessThan(3_000);
    // Grandchildren (e.g. an esbuild service) notice their parent's end a moment later: poll, don't sleep.
    expect(await untilNothingLeft(stackPid, processes, ports, 10_000)).toEqual(nothing);
  }, 60_000);
});

describe('a SIGKILLed stack', () => {
  it('leaves no process, container or port: its children stop by themselves', async () => {
    const killed = await startStack(ROOT, { LOG_LEVEL: 'warn' });
    const processes = descendants(killed.pid);
    const ports = printedPorts(killed.output());
    expect(processes.map((p) => p.cmdline).join('\n')).toMatch(/redis-server/);
    expect(await stackContainers(killed.pid)).not.toEqual([]);

    const signalled = performance.now();
    process.kill(killed.pid, 'SIGKILL');
    // Generous: an orphaned worker may still drain a job (none runs here) before it removes its containers.
    const left = await untilNothingLeft(killed.pid, processes, ports, 120_000);
    console.log(`stack SIGKILLed: its ${processes.length} processes, containers and ports gone after ${Math.round(performance.now() - signalled)} ms`);
    expect(left).toEqual(nothing);
  }, 180_000);
});
