/**
 * middy wiring shared by every HTTP handler: header normalisation, a JSON body
 * parser with a size cap, API-key auth, and one error responder. Each handler
 * file only says which of these it needs and calls its plain function.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { ApiError, badRequest, payloadTooLarge, unsupportedMediaType } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { DEFAULT_TENANT_LIMITS, type Tenant } from '../../core/tenants.ts';

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

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

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
  const chain = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>().use(httpHeaderNormalizer());
  if (options.metrics) chain.use(logMetrics(options.metrics));
  return chain.handler(async (event, context) => {
      const requestId = context.awsRequestId;
      try {
        const tenant = options.authenticate ? await options.authenticate(event.headers?.['x-api-key']) : anonymous;
        const body = options.jsonBodyMaxBytes !== undefined ? parseJsonBody(event, options.jsonBodyMaxBytes) : undefined;
        const result = await handle({ event, context, body, tenant });
        return json(result.statusCode, result.body, result.headers);
      } catch (error) {
        if (error instanceof ApiError) {
          return json(error.statusCode, { error: error.toJSON(), requestId }, error.headers);
        }
        options.logger.error({ err: error, requestId }, 'unhandled error');
        return json(500, { error: { code: 'internal_error', message: 'internal error' }, requestId });
      }
    });
}

const anonymous: Tenant = { tenantId: 'anonymous', limits: DEFAULT_TENANT_LIMITS };
