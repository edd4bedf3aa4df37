/**
 * The HTTP shell of the emulated APIs (Judge0, Piston). Not functions/lib/http.ts:
 * these APIs answer in their own formats (Judge0 `{"error"}` and `{field:[msg]}`,
 * Piston `{"message"}`), accept JSON whatever the content type says (the
 * piston-client package sends `text/plain`), and route several paths in one
 * Lambda. Nothing here logs the request path: Piston's key-scoped base URL
 * carries an API key in it.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import type { Logger } from '../../../core/logger.ts';

/** An answer in the emulated API's own format; `body: undefined` sends no body (Judge0's 401). */
export class CompatError extends Error {
  override name = 'CompatError';
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${statusCode}`);
  }
}

export interface CompatRequest {
  method: string;
  /** The path below the API's base (e.g. `/submissions/batch`), without the key segment. */
  path: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  /** The API key from a key-scoped base URL (Piston's `/k/{key}`), if the request used one. */
  pathKey?: string;
  /** Path parameters of the matched route, in order. */
  params: string[];
  /** The body parsed as JSON whatever its content type; undefined when empty. */
  json(): unknown;
  requestId: string;
}

export interface CompatResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle: (request: CompatRequest) => Promise<CompatResponse>;
}

export interface CompatOptions {
  logger: Logger;
  routes: Route[];
  /** Strips the API's base from the raw path and returns the rest (and the key, for key-scoped bases). */
  base: (rawPath: string) => { path: string; key?: string } | undefined;
  /** Turns a thrown error (ours, from the shared use cases) into the API's format; undefined: unexpected. */
  translate: (error: unknown) => CompatError | undefined;
  notFound: () => CompatError;
  malformedJson: (reason: string) => CompatError;
  tooLarge: (maxBytes: number) => CompatError;
  internalError: (requestId: string) => CompatError;
  maxBodyBytes: number;
}

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 {
  if (body === undefined) return { statusCode, headers, body: '' };
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

function bodyParser(event: APIGatewayProxyEventV2, options: CompatOptions): () => unknown {
  let parsed: { value: unknown } | undefined;
  return () => {
    if (parsed) return parsed.value;
    const raw = event.body ?? '';
    const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (Buffer.byteLength(text, 'utf8') > options.maxBodyBytes) throw options.tooLarge(options.maxBodyBytes);
    if (text.trim() === '') return (parsed = { value: undefined }).value;
    try {
      return (parsed = { value: JSON.parse(text) }).value;
    } catch (error) {
      throw options.malformedJson((error as Error).message);
    }
  };
}

/** One Lambda for one emulated API: routes, a lenient JSON body, and errors in the API's own format. */
export function compatHandler(options: CompatOptions) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .use(httpHeaderNormalizer())
    .handler(async (event, context) => {
      const requestId = context.awsRequestId;
      try {
        const method = event.requestContext.http.method.toUpperCase();
        const based = options.base(event.rawPath);
        if (!based) throw options.notFound();
        for (const route of options.routes) {
          const match = route.method === method ? route.path.exec(based.path) : null;
          if (!match) continue;
          const request: CompatRequest = {
            method,
            path: based.path,
            query: event.queryStringParameters ?? {},
            headers: event.headers ?? {},
            params: match.slice(1).map((p) => decodeURIComponent(p ?? '')),
            json: bodyParser(event, options),
            requestId,
            ...(based.key !== undefined ? { pathKey: based.key } : {}),
          };
          const result = await route.handle(request);
          return respond(result.statusCode, result.body, result.headers);
        }
        throw options.notFound();
      } catch (error) {
        const known = error instanceof CompatError ? error : options.translate(error);
        if (known) return respond(known.statusCode, known.body, known.headers);
        options.logger.error({ err: error, requestId }, 'unhandled error');
        const internal = options.internalError(requestId);
        return respond(internal.statusCode, internal.body, internal.headers);
      }
    });
}
