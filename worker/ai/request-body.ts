/**
 * What the AI gateway lets a job's request cost the agent: the body is read up
 * to a cap (a job once sent `Content-Length: 99999999999` and streamed forever,
 * and the agent, which kept it all, passed 900 MB), and a completion may
 * generate no more tokens than the job has left of its quota.
 */
import type { IncomingMessage } from 'node:http';

/** Ollama requests are a prompt or a chat history: far below this. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request the gateway refuses before it reaches the AI node. */
export class AiRequestError extends Error {
  override name = 'AiRequestError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads the body up to `MAX_BODY_BYTES`; refuses a larger one as soon as it is
 * known to be larger, and then reads no more of it (the caller answers and
 * closes the connection).
 */
export function readCappedBody(req: IncomingMessage): Promise<Buffer<ArrayBuffer>> {
  const tooLarge = () => new AiRequestError(413, `request body over ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      req.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      stop();
      reject(tooLarge());
    };
    const onEnd = () => (stop(), resolve(Buffer.concat(chunks)));
    const onError = (error: Error) => (stop(), reject(error));
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** The routes that generate tokens, whose answers count against the job's token quota. */
export const GENERATING = new Set(['/api/generate', '/api/chat']);

/**
 * Sets Ollama's `options.num_predict` to at most `tokensLeft`. Ollama reads -1
 * (and a missing value) as no limit and -2 as "fill the context", so anything
 * not a positive number below what is left becomes what is left. Ollama reads
 * no other option as an answer length (OpenAI-style `max_tokens` is for its
 * /v1 routes, which the gateway does not forward).
 */
export function clampTokens(body: Buffer, tokensLeft: number): Buffer<ArrayBuffer> {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AiRequestError(400, 'request body must be JSON');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new AiRequestError(400, 'request body must be a JSON object');
  const fields = request as { options?: unknown };
  const options = typeof fields.options === 'object' && fields.options !== null && !Array.isArray(fields.options) ? (fields.options as Record<string, unknown>) : {};
  const asked = options.num_predict;
  const numPredict = typeof asked === 'number' && asked > 0 ? Math.min(Math.floor(asked), tokensLeft) : tokensLeft;
  return Buffer.from(JSON.stringify({ ...fields, options: { ...options, num_predict: numPredict } }));
}
