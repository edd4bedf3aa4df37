/**
 * Inference from inside the sandbox with no network: a standard Ollama client
 * (Python urllib, JavaScript fetch) talks to 127.0.0.1:11434 in the container,
 * the supervisor forwards that to the worker's gateway socket, the gateway
 * enforces the job's quotas and forwards to a real AI node (ainode/) started
 * here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAiNode } from '../../ainode/server.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { createLogger } from '../../core/logger.ts';
import { AiGateway } from '../../worker/ai/gateway.ts';
import { poolExecutor } from '../../worker/sandbox-host/executor.ts';
import type { WarmPool } from '../../worker/sandbox-host/warm-pool.ts';
import { runner, testPool } from '../support/sandbox.ts';

let node: Awaited<ReturnType<typeof startAiNode>>;
let pool: WarmPool;
let run: ReturnType<typeof runner>;

beforeAll(async () => {
  node = await startAiNode({ port: 0, tokensPerSecond: 0, firstTokenMs: 0 });
  const gateway = new AiGateway(node.url, mkdtempSync(join(tmpdir(), 'rp-ai-')), { maxRequestsPerJob: 2, maxTokensPerJob: 10_000, maxConcurrentPerTenant: 4 });
  pool = testPool(2, { workerId: `ai-${process.pid}` }, { openAiSocket: (name) => gateway.open(name) });
  await pool.start();
  run = runner(pool, 'standard');
});
afterAll(async () => {
  await pool.close();
  await node.close();
});

const PYTHON_CLIENT = `
import json, os, urllib.request, urllib.error
def generate(prompt):
    req = urllib.request.Request("http://" + os.environ["OLLAMA_HOST"] + "/api/generate",
        data=json.dumps({"model": "runplane-mock:latest", "prompt": prompt, "stream": False}).encode(),
        headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, json.loads(res.read())["response"]
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["error"]
`;

describe('the AI gateway', () => {
  it('lets Python call the AI node with urllib and reports the usage', async () => {
    const result = await run({ language: 'python', source: `${PYTHON_CLIENT}\nstatus, text = generate("hello from the sandbox")\nprint(status, text)` });
    expect(result.verdict).toBe('ok');
    expect(result.stdout).toMatch(/^200 Echo: sandbox the from hello/);
    expect(result.ai).toMatchObject({ requests: 1, rejected: 0, promptTokens: 4 });
    expect(result.ai!.completionTokens).toBeGreaterThan(0);
  });

  it('lets JavaScript call the AI node with fetch (chat)', async () => {
    const source = `
const res = await fetch('http://' + process.env.OLLAMA_HOST + '/api/chat', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'runplane-mock:latest', messages: [{ role: 'user', content: 'hi there' }], stream: false }),
});
const body = await res.json();
console.log(res.status, body.message.content.split(' ')[0]);`;
    const result = await run({ language: 'javascript', source: `(async () => {${source}})()` });
    expect(result.stdout).toBe('200 Echo:\n');
    expect(result.ai?.requests).toBe(1);
  });

  it('answers 429 inside the job once the job is over its quota', async () => {
    const result = await run({ language: 'python', source: `${PYTHON_CLIENT}\nfor i in range(3):\n    print(generate("call %d" % i)[0])` });
    expect(result.stdout).toBe('200\n200\n429\n');
    expect(result.ai).toMatchObject({ requests: 2, rejected: 1 });
  });

  it('forwards only the Ollama API, and the AI node itself stays unreachable from the sandbox', async () => {
    const port = new URL(node.url).port;
    const source = `
import os, socket, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://" + os.environ["OLLAMA_HOST"] + "/admin", timeout=5)
except urllib.error.HTTPError as e:
    print(e.code)
try:
    socket.create_connection(("127.0.0.1", ${port}), timeout=2).close(); print("reached the AI node directly")
except OSError as e:
    print("direct:", type(e).__name__)`;
    const result = await run({ language: 'python', source });
    expect(result.stdout).toBe('404\ndirect: ConnectionRefusedError\n');
  });

  it("refuses AI to a tenant that has it switched off (403 inside the job)", async () => {
    const execute = poolExecutor({ standard: pool });
    const result = await execute({
      input: { language: 'python', source: `${PYTHON_CLIENT}\nprint(generate("x")[0])`, stdin: '', args: [], files: [] },
      limits: DEFAULT_LIMITS,
      isolation: 'standard',
      tenantId: 'no-ai-tenant',
      aiEnabled: false,
      log: createLogger('test', 'silent'),
    });
    expect(result.stdout).toBe('403\n');
  });

  it('reports no AI usage for a job that made no calls', async () => {
    const result = await run({ language: 'python', source: 'print(1)' });
    expect(result.ai).toBeUndefined();
  });
});
