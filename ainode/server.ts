/**
 * The AI node: an HTTP server speaking the part of the Ollama API that clients
 * use, backed by a deterministic mock model. Built on node:http alone so it
 * starts in milliseconds in tests and needs nothing installed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { handleChat, handleGenerate } from './completion-routes.ts';
import { AiNodeError, readJsonBody, sendError, sendJson } from './http-io.ts';
import { handleEmbed, handleRoot, handleTags, handleVersion } from './info-routes.ts';
import { DEFAULT_MODELS, ModelCatalog } from './model-catalog.ts';
import type { RouteHandler } from './route-context.ts';

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  tokensPerSecond: z.number().min(0).default(200),
  firstTokenMs: z.number().min(0).default(20),
  models: z.array(z.string().min(1)).min(1).default(DEFAULT_MODELS),
  /** Where errors we did not expect go; the client only sees a request id. Default: a JSON line on stderr. */
  onUnexpectedError: z.custom<(error: unknown, requestId: string) => void>((v) => typeof v === 'function').optional(),
});
export type AiNodeOptions = z.input<typeof optionsSchema>;

export interface AiNode {
  url: string;
  port: number;
  /** Cancels in-flight generations and stops listening; safe to call twice. */
  close(): Promise<void>;
}

interface Route {
  method: 'GET' | 'POST';
  handler: RouteHandler;
}

const ROUTES: Record<string, Route> = {
  '/': { method: 'GET', handler: handleRoot },
  '/api/version': { method: 'GET', handler: handleVersion },
  '/api/tags': { method: 'GET', handler: handleTags },
  '/api/generate': { method: 'POST', handler: handleGenerate },
  '/api/chat': { method: 'POST', handler: handleChat },
  '/api/embed': { method: 'POST', handler: handleEmbed },
};

function findRoute(req: IncomingMessage): Route {
  const { pathname } = new URL(req.url ?? '/', 'http://ainode.invalid');
  const route = Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined;
  if (!route) throw new AiNodeError(404, 'not found');
  // HEAD is GET without a body (node:http drops the body itself); clients probe `/` with it.
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method !== route.method) {
    throw new AiNodeError(405, `method ${req.method ?? ''} not allowed on ${pathname}; use ${route.method}`, {
      allow: route.method === 'GET' ? 'GET, HEAD' : route.method,
    });
  }
  return route;
}

function logUnexpectedError(error: unknown, requestId: string): void {
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: 'error', service: 'runplane-ainode', requestId, message })}\n`);
}

/** Starts the AI node and resolves once it is listening. */
export async function startAiNode(options: AiNodeOptions = {}): Promise<AiNode> {
  const config = optionsSchema.parse(options);
  const catalog = new ModelCatalog(config.models);
  const pacing = { tokensPerSecond: config.tokensPerSecond, firstTokenMs: config.firstTokenMs };
  const onUnexpectedError = config.onUnexpectedError ?? logUnexpectedError;
  // One controller per request in flight, so close() can stop their timers.
  const inFlight = new Set<AbortController>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = process.hrtime.bigint();
    const cancel = new AbortController();
    inFlight.add(cancel);
    // `res` 'close' fires both when we finish and when the client hangs up;
    // aborting a finished request is a no-op, aborting a live one stops its timer.
    res.once('close', () => {
      cancel.abort();
      inFlight.delete(cancel);
    });
    try {
      const route = findRoute(req);
      let body: unknown;
      if (route.method === 'POST') body = await readJsonBody(req);
      else req.resume(); // a GET body means nothing to us; drain it so keep-alive still works
      await route.handler(body, res, { catalog, pacing, signal: cancel.signal, receivedAt });
    } catch (error) {
      if (error instanceof AiNodeError) return sendError(res, error);
      const requestId = randomUUID();
      onUnexpectedError(error, requestId);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: `internal error (request id ${requestId})` });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      for (const cancel of inFlight) cancel.abort();
      server.close((error) => (error ? reject(error) : resolve()));
      // Let the cancelled generations write their last line, then drop every connection
      // (fetch keeps sockets alive, which would otherwise hold close() open).
      setImmediate(() => server.closeAllConnections());
    });
    return closing;
  };

  return { url: `http://${hostInUrl}:${port}`, port, close };
}
