/**
 * Reading JSON bodies and writing Ollama-style responses on node:http. Every
 * write checks that the client is still there: a client that hung up mid-stream
 * must cost us nothing, not an EPIPE or ERR_STREAM_DESTROYED.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the client caused or may see; `message` goes out as `{ "error": message }`. */
export class AiNodeError extends Error {
  override name = 'AiNodeError';
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Real prompts are kilobytes; a cap keeps one careless client from filling our memory. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Reads and parses the request body; Ollama answers an empty body with "missing request body". */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        throw new AiNodeError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AiNodeError) throw error;
    // The client hung up while sending: its fault, not an internal error worth a log line.
    throw new AiNodeError(400, `request body was not fully received: ${(error as Error).message}`);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new AiNodeError(400, 'missing request body');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AiNodeError(400, `invalid JSON in request body: ${(error as Error).message}`);
  }
}

function clientGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded;
}

export function sendJson(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  if (clientGone(res)) return;
  const payload = JSON.stringify(body);
  res.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, error: AiNodeError): void {
  // Headers already sent means we were mid-stream: Ollama then writes the error as one more NDJSON line.
  if (res.headersSent) {
    writeNdjsonLine(res, { error: error.message });
    endStream(res);
    return;
  }
  sendJson(res, error.statusCode, { error: error.message }, error.headers);
}

export function startNdjsonStream(res: ServerResponse): void {
  if (clientGone(res)) return;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
}

/**
 * Writes one chunk. Backpressure is not awaited on purpose: a mock answer is at
 * most a few hundred bytes, so the socket buffer can always take it.
 */
export function writeNdjsonLine(res: ServerResponse, chunk: unknown): void {
  if (clientGone(res)) return;
  res.write(`${JSON.stringify(chunk)}\n`);
}

export function endStream(res: ServerResponse): void {
  if (clientGone(res)) return;
  res.end();
}
