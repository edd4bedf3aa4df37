/**
 * The routes that answer at once: `GET /api/tags`, `GET /api/version`,
 * `POST /api/embed`, and `GET /` (the liveness text Ollama's clients probe).
 */
import type { ServerResponse } from 'node:http';
import { sendJson } from './http-io.ts';
import { countWords, mockEmbedding } from './mock-model.ts';
import { embedRequestSchema, parseRequest } from './request-schemas.ts';
import type { RouteContext } from './route-context.ts';

/** The Ollama API level we imitate; clients gate features on it (`/api/embed` came in 0.3). */
export const OLLAMA_API_VERSION = '0.6.0';

export function handleRoot(_body: unknown, res: ServerResponse): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Ollama is running');
}

export function handleVersion(_body: unknown, res: ServerResponse): void {
  sendJson(res, 200, { version: OLLAMA_API_VERSION });
}

export function handleTags(_body: unknown, res: ServerResponse, ctx: RouteContext): void {
  sendJson(res, 200, { models: ctx.catalog.tags() });
}

export function handleEmbed(body: unknown, res: ServerResponse, ctx: RouteContext): void {
  const request = parseRequest(embedRequestSchema, body);
  const model = ctx.catalog.resolve(request.model);
  ctx.catalog.require(model, 'embedding', 'embeddings');
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const embeddings = inputs.map((input) => mockEmbedding(model.name, input));
  const totalNs = Number(process.hrtime.bigint() - ctx.receivedAt);
  sendJson(res, 200, {
    model: request.model,
    embeddings,
    total_duration: totalNs,
    load_duration: 0,
    prompt_eval_count: inputs.reduce((sum, input) => sum + countWords(input), 0),
  });
}
