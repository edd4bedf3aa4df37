/**
 * Acceptance: the Judge0 CE 1.13.1 and Piston v2 compatible APIs on the whole
 * local stack (serverless-offline, Redis, emulators, a worker), driven over
 * HTTP with the request/response examples from Judge0's and Piston's own
 * documentation, and with exactly what the npm package piston-client sends.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { piston as pistonClient } from 'piston-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type RunningStack } from '../../local/spawn-stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack(ROOT, { WORKER_CONCURRENCY: '2', POOL_SIZE: '2', GVISOR_POOL_SIZE: '0', LOG_LEVEL: 'info', RELAYS: '1' });
}, 180_000);
afterAll(() => stack?.stop());

type Answer = { status: number; headers: Headers; text: string; body: any };

async function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${stack.http}${path}`, {
    method,
    headers: options.headers ?? { 'x-auth-token': stack.key, 'content-type': 'application/json' },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

const judge0 = (method: string, path: string, body?: unknown) => call(method, `/judge0${path}`, body !== undefined ? { body } : {});

async function finished(token: string, query = ''): Promise<any> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await judge0('GET', `/submissions/${token}${query}`);
    expect(res.status).toBe(200);
    if (res.body.status.id > 2) return res.body;
    if (Date.now() > deadline) throw new Error(`submission ${token} did not finish: ${res.text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const HELLO_C = '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}';

describe('Judge0 CE 1.13.1 API', () => {
  it('waits for the documented C example and answers with the default fields', async () => {
    const res = await judge0('POST', '/submissions?wait=true', { source_code: HELLO_C, language_id: '50', stdin: 'Judge0', expected_output: 'hello, Judge0' });

    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token']);
    expect(res.body).toMatchObject({ stdout: 'hello, Judge0\n', stderr: null, compile_output: null, message: null, status: { id: 3, description: 'Accepted' } });
    expect(res.body.time).toMatch(/^\d+\.\d+$/);
    expect(res.headers.get('ratelimit-limit')).not.toBeNull();
  });

  it('answers the documented 422s in Judge0 words', async () => {
    expect(await judge0('POST', '/submissions', { source_code: HELLO_C })).toMatchObject({ status: 422, body: { language_id: ["can't be blank"] } });
    expect(await judge0('POST', '/submissions', { source_code: HELLO_C, language_id: 150000, stdin: 'world', expected_output: 'hello, world' }))
      .toMatchObject({ status: 422, body: { language_id: ["language with id 150000 doesn't exist"] } });
    expect(await judge0('POST', '/submissions', { source_code: HELLO_C, language_id: 50, wall_time_limit: 100000, memory_limit: 128000, stack_limit: 128000, max_file_size: 1024, number_of_runs: 1 }))
      .toMatchObject({ status: 422, body: { wall_time_limit: ['must be less than or equal to 20.0'] } });
    expect(await judge0('POST', '/submissions', { source_code: 'print(1)', language_id: 71, enable_network: true }))
      .toMatchObject({ status: 422, body: { enable_network: ['enabling network is not allowed'] } });
  });

  it('takes Base64 input and gives Base64 output, as in the documented examples', async () => {
    const created = await judge0('POST', '/submissions?base64_encoded=true', { source_code: Buffer.from(HELLO_C).toString('base64'), language_id: 50, stdin: 'SnVkZ2Uw' });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['token']);

    const done = await finished(created.body.token, '?base64_encoded=true');
    expect(done).toMatchObject({ stdout: 'aGVsbG8sIEp1ZGdlMAo=\n', status: { id: 3 } });
  });

  it('creates the documented batch with one token or one error hash per item, and reads it back', async () => {
    const created = await judge0('POST', '/submissions/batch', { submissions: [
      { language_id: 46, source_code: 'echo hello from Bash' },
      { language_id: 123456789, source_code: 'print("hello from Python")' },
      { language_id: 71, source_code: '' },
      { language_id: 71, source_code: 'print("hello from Python")' },
    ] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual([{ token: expect.any(String) }, { language_id: ["language with id 123456789 doesn't exist"] }, { source_code: ["can't be blank"] }, { token: expect.any(String) }]);

    const tokens = [created.body[0].token, created.body[3].token];
    await Promise.all(tokens.map((t) => finished(t)));
    const read = await judge0('GET', `/submissions/batch?tokens=${tokens.join(',')},00000000-0000-0000-0000-000000000000&fields=token,stdout,status_id,language_id`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ submissions: [
      { token: tokens[0], stdout: 'hello from Bash\n', status_id: 3, language_id: 46 },
      { token: tokens[1], stdout: 'hello from Python\n', status_id: 3, language_id: 71 },
      null,
    ] });
  });

  it('gives the statuses of failing programs as Judge0 does', async () => {
    const run = async (body: object) => (await judge0('POST', '/submissions?wait=true&fields=status,exit_code,exit_signal,compile_output,stdout', body)).body;
    expect(await run({ language_id: 71, source_code: 'import sys\nsys.exit(3)' })).toMatchObject({ status: { id: 11, description: 'Runtime Error (NZEC)' }, exit_code: 3 });
    expect(await run({ language_id: 50, source_code: 'int main(void){ volatile int *p = 0; return *p; }' })).toMatchObject({ status: { id: 7 }, exit_signal: 11 });
    expect(await run({ language_id: 71, source_code: 'while True: pass', cpu_time_limit: 1 })).toMatchObject({ status: { id: 5, description: 'Time Limit Exceeded' } });
    expect(await run({ language_id: 54, source_code: 'int main( {' })).toMatchObject({ status: { id: 6 }, compile_output: expect.stringContaining('error') });
    expect(await run({ language_id: 71, source_code: 'print("no")', expected_output: 'yes' })).toMatchObject({ status: { id: 4, description: 'Wrong Answer' }, stdout: 'no\n' });
  });

  it('shows every field with fields=*, and refuses unknown fields', async () => {
    const created = await judge0('POST', '/submissions?wait=true', { source_code: 'import sys\nprint(sys.argv[1:])', language_id: 71, command_line_arguments: 'a "b c"', cpu_time_limit: 2 });
    const all = await judge0('GET', `/submissions/${created.body.token}?fields=*`);
    expect(all.body).toMatchObject({ source_code: 'import sys\nprint(sys.argv[1:])', language_id: 71, stdout: "['a', 'b c']\n", cpu_time_limit: '2.0', wall_time_limit: '10.0', memory_limit: 128000, command_line_arguments: 'a "b c"', language: { id: 71, name: expect.stringMatching(/^Python \(3\.\d+\.\d+\)$/) } });
    expect(all.body.wall_time).toMatch(/^\d+\.\d+$/);
    expect(await judge0('GET', `/submissions/${created.body.token}?fields=stdout,colour`)).toMatchObject({ status: 400, body: { error: 'invalid fields: [colour]' } });
  });

  it('serves languages, statuses, about, config_info and system_info', async () => {
    const languages = await judge0('GET', '/languages');
    expect(languages.body.map((l: { id: number }) => l.id).sort((a: number, b: number) => a - b)).toEqual([46, 50, 51, 54, 57, 59, 60, 61, 62, 63, 64, 65, 67, 68, 71, 72, 73, 74, 78, 80, 82, 85]);
    expect((await judge0('GET', '/languages/54')).body).toMatchObject({ id: 54, name: expect.stringMatching(/^C\+\+ \(GCC \d+\.\d+\.\d+\)$/), is_archived: false, source_file: 'main.cpp' });
    expect((await judge0('GET', '/languages/62')).body).toMatchObject({ id: 62, name: expect.stringMatching(/^Java \(OpenJDK (21\.\d+\.\d+|version not yet known)\)$/), source_file: 'Main.java' });
    expect((await judge0('GET', '/languages/89')).status).toBe(404);
    expect((await judge0('GET', '/statuses')).body).toHaveLength(14);
    expect((await judge0('GET', '/about')).body).toMatchObject({ version: '1.13.1' });
    expect((await judge0('GET', '/config_info')).body).toMatchObject({ enable_wait_result: true, allow_enable_network: false, max_submission_batch_size: 20 });
    expect((await judge0('GET', '/system_info')).body).toHaveProperty('CPU(s)');
  });

  it('applies compiler_options, number_of_runs, stack_limit and additional_files', async () => {
    const run = async (body: object, fields = 'status,stdout,compile_output,time,memory') => (await judge0('POST', `/submissions?wait=true&fields=${fields}`, body)).body;
    const deep = '#include <stdio.h>\nint d(int n){volatile char p[1024];p[0]=(char)n;if(!n)return 0;return d(n-1)+(p[0]&1);}\nint main(void){printf("%d %s\\n",d(20000),WHO);return 0;}';
    const helper = readFileSync(resolve(ROOT, 'tests/fixtures/zips/python-deflated.zip')).toString('base64');

    // Judge0's default stack_limit (64000 KB) holds this recursion; the default 8 MiB would not.
    expect(await run({ language_id: 50, source_code: deep, compiler_options: '-DWHO=\\"judge0\\"', number_of_runs: 3 })).toMatchObject({ status: { id: 3 }, stdout: '10000 judge0\n' });
    expect(await run({ language_id: 71, source_code: 'from lib.helper import twice\nprint(twice(int(open("data.txt").read().split()[2])))', additional_files: helper })).toMatchObject({ status: { id: 3 }, stdout: '6\n' });
    const symlink = readFileSync(resolve(ROOT, 'tests/fixtures/zips/info-zip-symlink.zip')).toString('base64');
    expect(await judge0('POST', '/submissions', { language_id: 71, source_code: 'print(1)', additional_files: symlink })).toMatchObject({ status: 422, body: { additional_files: ['entry "link" is a symbolic link'] } });
  });

  it('answers 401 with no body for a bad X-Auth-Token, and takes x-api-key too', async () => {
    const bad = await call('GET', '/judge0/statuses', { headers: { 'x-auth-token': 'nope' } });
    expect(bad).toMatchObject({ status: 401, text: '' });
    expect((await call('GET', '/judge0/statuses', { headers: { 'x-api-key': stack.key } })).status).toBe(200);
  });
});

describe('Piston v2 API', () => {
  const piston = (method: string, path: string, body?: unknown) =>
    call(method, `/piston/api/v2${path}`, { headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, ...(body !== undefined ? { body } : {}) });

  it('lists runtimes with language, version and aliases', async () => {
    const res = await piston('GET', '/runtimes');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ language: 'python', version: expect.stringMatching(/^3\.\d+\.\d+$/), aliases: ['py', 'py3', 'python3'] });
    expect(res.body).toContainEqual(expect.objectContaining({ language: 'javascript', runtime: 'node', aliases: expect.arrayContaining(['js']) }));
  });

  it('runs the documented execute example', async () => {
    const res = await piston('POST', '/execute', {
      language: 'js', version: '*', files: [{ name: 'my_cool_code.js', content: 'console.log(process.argv)' }], stdin: '', args: ['1', '2', '3'],
      compile_timeout: 10000, run_timeout: 3000, compile_memory_limit: -1, run_memory_limit: -1,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ language: 'javascript', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), run: { code: 0, signal: null, stderr: '', status: null } });
    // Piston's example shows Node 15's multi-line inspect; newer Node prints short arrays on one line.
    expect(res.body.run.stdout).toMatch(/\/my_cool_code\.js',\s+'1',\s+'2',\s+'3'\s*\]\n$/);
    expect(res.body.run.output).toBe(res.body.run.stdout);
  });

  it('answers a client that sends no headers (piston-client) on the key-scoped base URL', async () => {
    const base = `/piston/k/${encodeURIComponent(stack.key)}/api/v2`;
    const runtimes = await call('GET', `${base}/runtimes`, { headers: {} });
    const python = runtimes.body.find((r: { language: string }) => r.language === 'python');
    // What piston-client 1.0.2 posts: JSON.stringify'd body, no content type of its own (fetch says text/plain).
    const res = await call('POST', `${base}/execute`, { headers: {}, body: JSON.stringify({
      language: 'python', version: python.version, files: [{ content: 'import sys\nprint("Hello World!", sys.argv[1:], repr(input()))' }], stdin: '', args: ['1', '2', '3'],
      compile_timeout: 10000, run_timeout: 3000, compile_memory_limit: -1, run_memory_limit: -1,
    }) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ language: 'python', version: python.version, run: { stdout: "Hello World! ['1', '2', '3'] ''\n", code: 0 } });
  });

  it('serves the stock piston-client package (from npm, unmodified) on the key-scoped base URL', async () => {
    const client = pistonClient({ server: `${stack.http}/piston/k/${encodeURIComponent(stack.key)}` });
    const runtimes = await client.runtimes();
    expect(runtimes).toContainEqual(expect.objectContaining({ language: 'python', version: expect.stringMatching(/^3\.\d+\.\d+$/) }));

    // The package's short form: language and code; it picks the newest version and sends args 1 2 3.
    const hello = await client.execute('python', 'import sys\nprint("Hello World!", sys.argv[1:])');
    expect(hello).toMatchObject({ language: 'python', run: { stdout: "Hello World! ['1', '2', '3']\n", stderr: '', code: 0, signal: null } });

    // Its long form: files, stdin, args and timeouts from the config object.
    const echo = await client.execute({ language: 'javascript', files: [{ name: 'main.js', content: 'process.stdin.on("data", (d) => process.stdout.write(d.toString().toUpperCase()))' }], stdin: 'shout', args: [], runTimeout: 3000 });
    // Piston ends stdin with a newline when it has none (docs/compat.md).
    expect(echo).toMatchObject({ language: 'javascript', run: { stdout: 'SHOUT\n', code: 0 } });

    const compileError = await client.execute('c', 'int main( {');
    expect(compileError).toMatchObject({ language: 'c', compile: { code: 1 } });

    // A wrong key: the client gets Piston's {message} body back.
    const denied = await pistonClient({ server: `${stack.http}/piston/k/rp_not_a_key` }).runtimes();
    expect(denied).toMatchObject({ message: expect.stringContaining('API key') });
  });

  it('answers a compile error with the compile stage, also as run', async () => {
    const res = await piston('POST', '/execute', { language: 'c', version: '*', files: [{ content: 'int main( {' }] });
    expect(res.status).toBe(200);
    expect(res.body.compile).toMatchObject({ code: 1, status: 'RE' });
    expect(res.body.run).toEqual(res.body.compile);
  });

  it('reports a run that is too long as TO with SIGKILL', async () => {
    const res = await piston('POST', '/execute', { language: 'python', version: '3', files: [{ content: 'while True: pass' }], run_timeout: 1000 });
    expect(res.body.run).toMatchObject({ status: 'TO', signal: 'SIGKILL', code: null });
  });

  it('refuses bad requests and bad keys with {message}', async () => {
    expect(await piston('POST', '/execute', { language: 'cobol', version: '*', files: [{ content: '' }] })).toMatchObject({ status: 400, body: { message: 'cobol-* runtime is unknown' } });
    expect(await piston('POST', '/execute', { language: 'python', files: [] })).toMatchObject({ status: 400, body: { message: 'version is required as a string' } });
    const denied = await call('GET', '/piston/k/rp_not_a_key/api/v2/runtimes', { headers: {} });
    expect(denied).toMatchObject({ status: 401, body: { message: expect.stringContaining('API key') } });
  });

  it('keeps the key of a key-scoped URL out of every log line', async () => {
    await call('GET', `/piston/k/${encodeURIComponent(stack.key)}/api/v2/runtimes`, { headers: {} });
    const logs = readFileSync(resolve(ROOT, '.runplane/logs/api.log'), 'utf8');
    expect(logs).not.toContain(stack.key);
    expect(stack.output()).not.toContain(`/piston/k/${stack.key}`);
  });
});

describe('POST /run with tests (one compile, many test cases)', () => {
  const run = (body: unknown) => call('POST', '/run', { headers: { 'x-api-key': stack.key, 'content-type': 'application/json' }, body });

  it('answers each test its verdict and the job the first failing one', async () => {
    const source = '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a*b<<"\\n";}';
    const res = await run({ language: 'cpp', source, wait: 20, tests: [{ stdin: '6 7', expectedOutput: '42' }, { stdin: '2 2', expectedOutput: '5' }, { stdin: '1 1', expectedOutput: '1' }] });

    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ verdict: 'wrong_answer', failedTest: 1, stdout: '4\n', compile: { exitCode: 0 } });
    expect(res.body.result.tests.map((t: { verdict: string }) => t.verdict)).toEqual(['ok', 'wrong_answer', 'ok']);
  });

  it('refuses a bad test with 400 naming its field path, and stdin beside tests', async () => {
    const misnamed = await run({ language: 'python', source: 'print(1)', tests: [{ stdin: '1' }, { stdin: '2', expected: '2' }] });
    const beside = await run({ language: 'python', source: 'print(1)', stdin: 'x', tests: [{ stdin: '1' }] });

    expect(misnamed).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', fields: [{ field: 'tests.1.expected', reason: 'unknown field' }] } } });
    expect(beside).toMatchObject({ status: 400, body: { error: { fields: [{ field: 'stdin', reason: 'cannot be combined with tests; give each test its stdin' }] } } });
  });
});
