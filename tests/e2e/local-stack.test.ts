/**
 * The whole local stack, started exactly as the README says (`npm start`),
 * driven over HTTP like a client would, then stopped with Ctrl-C (SIGINT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const KEY = 'rp_e2e_0123456789abcdef0123456789';
const docker = new Docker();
let stack: ChildProcess;
let base: string;
let output = '';
let containersBefore: Set<string>;

async function managedContainers(): Promise<Set<string>> {
  // Only the stack's workers (ids `local-<pid>-worker-<n>`): other test files run pools at the same time.
  const list = await docker.listContainers({ all: true, filters: { label: ['io.runplane.managed=true'] } });
  return new Set(list.filter((c) => c.Labels['io.runplane.worker']?.startsWith('local-')).map((c) => c.Id));
}

beforeAll(async () => {
  containersBefore = await managedContainers();
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

  it('stops every process and container it started on Ctrl-C', async () => {
    const exited = new Promise<void>((r) => stack.once('exit', () => r()));
    // Ctrl-C signals the terminal's whole foreground process group: npm, bash and the stack.
    process.kill(-stack.pid!, 'SIGINT');
    await exited;
    await new Promise((r) => setTimeout(r, 500));

    expect(output).toMatch(/\[stack\] stopped$/m);

    const left = [...(await managedContainers())].filter((id) => !containersBefore.has(id));
    expect(left).toEqual([]);
    await expect(fetch(`${base}/languages`)).rejects.toThrow();
  }, 60_000);
});
