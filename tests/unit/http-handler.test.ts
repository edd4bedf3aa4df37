import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { ApiKeys } from '../../functions/lib/api-keys.ts';
import { httpHandler } from '../../functions/lib/http.ts';

const KEY = 'k'.repeat(32);
const context = { awsRequestId: 'req-1' } as Context;

function event(body: string | undefined, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return { headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers }, body, isBase64Encoded: false } as unknown as APIGatewayProxyEventV2;
}

function handlerThat(fn: (body: unknown) => unknown) {
  return httpHandler(async ({ body }) => ({ statusCode: 200, body: fn(body) }), {
    logger: createLogger('test', 'silent'),
    authenticate: async (key) => new ApiKeys(`t:${KEY}`).authenticate(key),
    jsonBodyMaxBytes: 100,
  });
}

async function call(h: ReturnType<typeof handlerThat>, e: APIGatewayProxyEventV2) {
  const res = (await h(e, context)) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('the HTTP handler wrapper', () => {
  it('passes the parsed JSON body to the handler', async () => {
    expect(await call(handlerThat((b) => b), event('{"a":1}'))).toEqual({ status: 200, body: { a: 1 } });
  });

  it('answers malformed JSON with 400', async () => {
    const res = await call(handlerThat((b) => b), event('{"a":'));
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/malformed JSON/);
  });

  it('answers a body over the cap with 413', async () => {
    expect((await call(handlerThat((b) => b), event(JSON.stringify({ a: 'x'.repeat(200) })))).status).toBe(413);
  });

  it('answers a non-JSON content type with 415', async () => {
    expect((await call(handlerThat((b) => b), event('{}', { 'content-type': 'text/plain' }))).status).toBe(415);
  });

  it('answers a wrong key with 401 before reading the body', async () => {
    expect((await call(handlerThat((b) => b), event('{bad', { 'x-api-key': 'nope' }))).status).toBe(401);
  });

  it('hides unexpected errors behind a generic 500 with the request id', async () => {
    const res = await call(handlerThat(() => { throw new Error('secret detail'); }), event('{}'));
    expect(res).toEqual({ status: 500, body: { error: { code: 'internal_error', message: 'internal error' }, requestId: 'req-1' } });
  });
});
