/**
 * The AI gateway spoken to directly on its unix socket, the way the in-container
 * forwarder does, in front of a real AI node (ainode/): what one job's requests
 * can cost the agent. Bodies are capped, answers are capped to the tokens the job
 * has left, a client that does not read is not buffered for, and a client that
 * goes away stops the upstream request.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAiNode } from '../../ainode/server.ts';
import { AiGateway, type AiQuotas, type AiSocket } from '../../worker/ai/gateway.ts';

let node: Awaited<ReturnType<typeof startAiNode>>;
const sockets: AiSocket[] = [];
beforeAll(async () => {
  // Paced like a model, so a long answer is still running when a client hangs up.
  node = await startAiNode({ port: 0, tokensPerSecond: 50, firstTokenMs: 0 });
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});
afterAll(() => node.close());

const QUOTAS: AiQuotas = { maxRequestsPerJob: 10, maxTokensPerJob: 1000, maxConcurrentPerTenant: 1 };

async function openSocket(upstream: string, quotas: Partial<AiQuotas> = {}): Promise<string> {
  const gateway = new AiGateway(upstream, mkdtempSync(join(tmpdir(), 'rp-ai-sock-')), { ...QUOTAS, ...quotas });
  const socket = await gateway.open('job');
  sockets.push(socket);
  socket.activate('acme', true);
  return join(socket.hostDir, 'ai.sock');
}

interface Answer {
  status: number;
  body: string;
}

function post(socketPath: string, path: string, body: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject).end(JSON.stringify(body));
  });
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describe('the AI gateway on its socket', () => {
  it('answers 413 to a body that claims to be huge and never ends, without waiting for it', async () => {
    const socketPath = await openSocket(node.url);
    const req = request({ socketPath, path: '/api/generate', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '99999999999' } });
    req.on('error', () => undefined); // the gateway may close the socket under our writes
    const chunk = Buffer.alloc(64 * 1024, 'x');
    // As fast as the gateway takes it, for ever.
    const feed = () => {
      while (!req.destroyed && req.write(chunk));
    };
    req.on('drain', feed);
    const feeding = setInterval(feed, 10);
    try {
      const answered = new Promise<number>((resolve) => req.on('response', (res: IncomingMessage) => (res.resume(), resolve(res.statusCode ?? 0))));
      const status = await Promise.race([answered, sleep(5_000).then(() => 'no answer after 5 s of streaming')]);
      expect(status).toBe(413);
    } finally {
      clearInterval(feeding);
      req.destroy();
    }
  });

  it('answers 413 to a chunked body over 1 MiB', async () => {
    const socketPath = await openSocket(node.url);
    const answer = await post(socketPath, '/api/generate', { model: 'runplane-mock:latest', prompt: 'x'.repeat(1024 * 1024 + 1) });
    expect(answer.status).toBe(413);
  });

  it('caps an answer at the tokens the job has left, whatever num_predict asks', async () => {
    const socketPath = await openSocket(node.url, { maxTokensPerJob: 40 });
    const ask = (prompt: string, numPredict?: number) =>
      post(socketPath, '/api/generate', { model: 'runplane-mock:latest', prompt, stream: false, ...(numPredict !== undefined ? { options: { num_predict: numPredict } } : {}) });
    // 10 prompt tokens and 5 answer tokens: 25 left.
    expect(JSON.parse((await ask(words(10), 5)).body)).toMatchObject({ prompt_eval_count: 10, eval_count: 5 });
    // A 50-token answer (the mock's longest) asked for with no limit (-1) gets what is left.
    expect(JSON.parse((await ask(words(200), -1)).body)).toMatchObject({ eval_count: 25, done_reason: 'length' });
    expect((await ask('more', 1000)).status).toBe(429);
  });

  it('caps an answer that asks for no limit at all', async () => {
    const socketPath = await openSocket(node.url, { maxTokensPerJob: 30 });
    const answer = await post(socketPath, '/api/chat', { model: 'runplane-mock:latest', messages: [{ role: 'user', content: words(200) }], stream: false });
    expect(JSON.parse(answer.body)).toMatchObject({ eval_count: 30, done_reason: 'length' });
  });

  it('keeps a num_predict below what the job has left', async () => {
    const socketPath = await openSocket(node.url, { maxTokensPerJob: 1000 });
    const answer = await post(socketPath, '/api/chat', { model: 'runplane-mock:latest', messages: [{ role: 'user', content: words(50) }], stream: false, options: { num_predict: 3 } });
    expect((JSON.parse(answer.body) as { eval_count: number }).eval_count).toBe(3);
  });

  it('stops the upstream request when the client goes away', async () => {
    // 2 tokens a second: the mock's longest answer (50 tokens) takes 25 s.
    const slow = await startAiNode({ port: 0, tokensPerSecond: 2, firstTokenMs: 0 });
    try {
      // One request at a time for the tenant: another is let through only once the first has ended.
      const socketPath = await openSocket(slow.url, { maxConcurrentPerTenant: 1, maxRequestsPerJob: 1000 });
      await new Promise<void>((resolve) => {
        const req = request({ socketPath, path: '/api/generate', method: 'POST' }, (res) => res.once('data', () => (req.destroy(), resolve())));
        req.on('error', () => undefined).end(JSON.stringify({ model: 'runplane-mock:latest', prompt: words(100) }));
      });
      let status = 0;
      for (let tries = 0; tries < 30 && status !== 200; tries++) {
        await sleep(100);
        status = await new Promise<number>((resolve) => request({ socketPath, path: '/api/version' }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).end());
      }
      expect(status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});

describe('the AI gateway in front of an AI node that floods', () => {
  let flood: Server;
  let sent = 0;
  beforeAll(async () => {
    // Writes as fast as it is read, no faster (the real AI node does not wait for
    // its client), so what it managed to send is what the gateway took in.
    flood = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const line = Buffer.from(`${JSON.stringify({ response: 'x'.repeat(1000), done: false })}\n`);
      const pump = () => {
        while (sent < 256 * 1024 * 1024) {
          sent += line.length;
          if (!res.write(line)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    flood.closeAllConnections();
    await new Promise((resolve) => flood.close(resolve));
  });

  it('reads the answer no faster than its client does', async () => {
    const socketPath = await openSocket(`http://127.0.0.1:${(flood.address() as AddressInfo).port}`);
    const req = request({ socketPath, path: '/api/generate', method: 'POST' });
    req.on('error', () => undefined);
    const res = await new Promise<IncomingMessage>((resolve) => req.on('response', resolve).end('{"model":"m","prompt":"p"}'));
    res.pause(); // a client that does not read
    let before = -1;
    while (sent !== before) {
      before = sent;
      await sleep(300);
    }
    req.destroy();
    // Socket buffers and stream high-water marks, a few MiB at most: not the answer.
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  });
});
