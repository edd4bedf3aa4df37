/**
 * The AI node over real HTTP: Ollama's routes, shapes and errors, the mock
 * model's determinism, and a client that hangs up mid-stream. Tokens come
 * without delay here (tokensPerSecond: 0), so nothing depends on timing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAiNode, type AiNode } from '../../ainode/server.ts';

let node: AiNode;

beforeAll(async () => {
  node = await startAiNode({ port: 0, tokensPerSecond: 0, firstTokenMs: 0 });
});

afterAll(async () => {
  await node?.close();
});

function post(path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(`${node.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

type Chunk = Record<string, unknown> & { done: boolean };

/** Every line of an NDJSON body must be a JSON object on its own. */
async function readNdjson(response: Response): Promise<Chunk[]> {
  const text = await response.text();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Chunk);
}

function norm(vector: number[]): number {
  return Math.hypot(...vector);
}

describe('GET /api/tags and /api/version', () => {
  it('lists the configured models with Ollama fields', async () => {
    const response = await fetch(`${node.url}/api/tags`);
    const body = (await response.json()) as { models: { name: string; model: string; digest: string; details: object }[] };

    expect(response.status).toBe(200);
    expect(body.models.map((m) => m.name)).toEqual(['runplane-mock:latest', 'runplane-embed:latest']);
    for (const model of body.models) {
      expect(model).toMatchObject({ model: model.name, modified_at: expect.any(String), size: expect.any(Number) });
      expect(model.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(model.details).toMatchObject({ format: 'gguf', family: expect.any(String) });
    }
  });

  it('reports a version', async () => {
    const response = await fetch(`${node.url}/api/version`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });
});

describe('POST /api/generate', () => {
  const prompt = 'why is the sky blue on a clear day';

  it('streams NDJSON chunks that add up to the non-streamed answer', async () => {
    const streamed = await post('/api/generate', { model: 'runplane-mock', prompt });
    const chunks = await readNdjson(streamed);
    const single = (await (await post('/api/generate', { model: 'runplane-mock', prompt, stream: false })).json()) as Chunk;

    expect(streamed.headers.get('content-type')).toContain('application/x-ndjson');
    const content = chunks.filter((c) => !c.done);
    const final = chunks.at(-1);
    expect(content.length).toBeGreaterThan(0);
    expect(content.every((c) => c.model === 'runplane-mock' && typeof c.created_at === 'string')).toBe(true);
    expect(content.map((c) => c.response).join('')).toBe(single.response);
    expect(final).toMatchObject({ done: true, done_reason: 'stop', response: '', eval_count: content.length });
    expect(final).toMatchObject({ prompt_eval_count: 9, context: expect.any(Array), total_duration: expect.any(Number) });
  });

  it('answers the same prompt the same way every time, echoing its words', async () => {
    const ask = async () =>
      ((await (await post('/api/generate', { model: 'runplane-mock', prompt, stream: false })).json()) as { response: string }).response;

    const [first, second] = [await ask(), await ask()];

    expect(first).toBe(second);
    expect(first).toContain('day clear a on blue sky the is why');
  });

  it('stops at options.num_predict tokens with done_reason "length"', async () => {
    const response = await post('/api/generate', { model: 'runplane-mock', prompt, stream: false, options: { num_predict: 3 } });

    expect(await response.json()).toMatchObject({ done: true, done_reason: 'length', eval_count: 3 });
  });
});

describe('POST /api/chat', () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'name three prime numbers' },
  ];

  it('streams assistant messages that add up to the non-streamed answer', async () => {
    const chunks = await readNdjson(await post('/api/chat', { model: 'runplane-mock', messages }));
    const single = (await (await post('/api/chat', { model: 'runplane-mock', messages, stream: false })).json()) as Chunk & {
      message: { role: string; content: string };
    };

    const content = chunks.filter((c) => !c.done) as (Chunk & { message: { role: string; content: string } })[];
    expect(content.every((c) => c.message.role === 'assistant')).toBe(true);
    expect(content.map((c) => c.message.content).join('')).toBe(single.message.content);
    expect(single.message.content).toContain('numbers prime three name');
    expect(single).toMatchObject({ done: true, done_reason: 'stop', eval_count: content.length, prompt_eval_count: 7 });
    expect(chunks.at(-1)).toMatchObject({ done: true, message: { role: 'assistant', content: '' } });
  });
});

describe('POST /api/embed', () => {
  async function embed(input: string | string[]): Promise<number[][]> {
    const response = await post('/api/embed', { model: 'runplane-embed', input });
    expect(response.status).toBe(200);
    return ((await response.json()) as { embeddings: number[][] }).embeddings;
  }

  it('returns one unit-length vector per input', async () => {
    const embeddings = await embed(['first text', 'second text']);

    expect(embeddings).toHaveLength(2);
    for (const vector of embeddings) expect(norm(vector)).toBeCloseTo(1, 10);
  });

  it('gives the same vector for the same input and a different one for a different input', async () => {
    const [a] = await embed('hello');
    const [again] = await embed(['hello']);
    const [other] = await embed('goodbye');

    expect(again).toEqual(a);
    expect(other).not.toEqual(a);
  });
});

describe('errors', () => {
  it('answers an unknown model with 404 and Ollama\'s message', async () => {
    const response = await post('/api/generate', { model: 'llama-nope', prompt: 'hi' });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'model "llama-nope" not found, try pulling it first' });
  });

  it('answers malformed JSON with 400', async () => {
    const response = await post('/api/generate', '{"model": "runplane-mock", ');

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/JSON/);
  });

  it('answers a missing prompt with 400 naming the field', async () => {
    const response = await post('/api/generate', { model: 'runplane-mock' });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/\bprompt\b/);
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    const unknown = await fetch(`${node.url}/api/nothing-here`);
    const wrongMethod = await fetch(`${node.url}/api/generate`);

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not found' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('a client that disconnects mid-stream', () => {
  it('leaves the node serving the next request', async () => {
    // A paced node, so the stream is surely still running when the client leaves.
    const paced = await startAiNode({ port: 0, tokensPerSecond: 20, firstTokenMs: 0 });
    try {
      const controller = new AbortController();
      const longPrompt = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
      const response = await fetch(`${paced.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: 'runplane-mock', prompt: longPrompt }),
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(first.done).toBe(false);

      controller.abort();
      await expect(reader.read()).rejects.toThrow();

      const next = await fetch(`${paced.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: 'runplane-mock', prompt: 'still there', stream: false }),
      });
      expect(next.status).toBe(200);
      expect(await next.json()).toMatchObject({ done: true, response: expect.stringContaining('there still') });
    } finally {
      await paced.close();
    }
  });
});
