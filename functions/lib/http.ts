/**
 * The middy chain every HTTP handler uses, in middy's documented order: header
 * normalisation, metrics, API-key auth, a JSON body parser with a size cap,
 * then the handler, and the error handler last (error-responses.ts). Each
 * handler file says which of these it needs and calls its plain function.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { badRequest, payloadTooLarge, unsupportedMediaType } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DEFAULT_TENANT_LIMITS, type Tenant } from '../../core/tenants.ts';
import { httpErrorResponse, json } from './error-responses.ts';

export { json } from './error-responses.ts';

export interface HttpRequest {
  event: APIGatewayProxyEventV2;
  context: Context;
  body: unknown;
  tenant: Tenant;
}

export type HttpResult = { statusCode: number; body: unknown; headers?: Record<string, string> };

interface HandlerOptions {
  logger: Logger;
  /** Resolves the caller's tenant from the x-api-key header (401 otherwise). Absent: anonymous route. */
  authenticate?: (key: string | undefined) => Promise<Tenant>;
  /** Parse a JSON body no larger than this many bytes. */
  jsonBodyMaxBytes?: number;
  /** Flushed (EMF) after each invocation. */
  metrics?: Metrics;
}

/** What the middlewares found out about the request, for the handler. */
type HttpContext = Context & { tenant?: Tenant; jsonBody?: unknown };
type HttpMiddleware = MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyResultV2, Error, HttpContext>;

const anonymous: Tenant = { tenantId: 'anonymous', limits: DEFAULT_TENANT_LIMITS };

/** The caller's tenant from x-api-key, before the body is read (a bad key gets 401 whatever it sent). */
const apiKeyAuth = (authenticate: NonNullable<HandlerOptions['authenticate']>): HttpMiddleware => ({
  before: async (request) => {
    request.context.tenant = await authenticate(request.event.headers?.['x-api-key']);
  },
});

/** A JSON body (application/json or +json) of at most `maxBytes`: 415, 413 or 400 otherwise. */
const jsonBody = (maxBytes: number): HttpMiddleware => ({
  before: (request) => {
    request.context.jsonBody = parseJsonBody(request.event, maxBytes);
  },
});

const errorHandler = (logger: Logger): HttpMiddleware => ({
  onError: (request) => {
    request.response = httpErrorResponse(request.error, request.context.awsRequestId, logger);
  },
});

function parseJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) throw unsupportedMediaType();
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw payloadTooLarge('body', maxBytes);
  if (text.trim() === '') throw badRequest('request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`malformed JSON: ${(error as Error).message}`);
  }
}

export function httpHandler(
  handle: (request: HttpRequest) => Promise<HttpResult>,
  options: HandlerOptions,
) {
  const chain = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2, Error, HttpContext>().use(httpHeaderNormalizer());
  if (options.metrics) chain.use(logMetrics(options.metrics) as HttpMiddleware);
  if (options.authenticate) chain.use(apiKeyAuth(options.authenticate));
  if (options.jsonBodyMaxBytes !== undefined) chain.use(jsonBody(options.jsonBodyMaxBytes));
  chain.use(errorHandler(options.logger));
  return chain.handler(async (event, context) => {
    const result = await handle({ event, context, body: context.jsonBody, tenant: context.tenant ?? anonymous });
    return json(result.statusCode, result.body, result.headers);
  });
}
