/**
 * WebSocket `$connect`: authenticates the socket, takes one token from the
 * tenant's rate limit and records the key's hash for the checks of each message. Browsers cannot set headers on a WebSocket, so the key
 * may also come as the `apiKey` query parameter.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ApiError } from '../../core/errors.ts';
import { hashApiKey } from '../../core/tenants.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
};

export const handler = middy<ConnectEvent, APIGatewayProxyResult>()
  .use(httpHeaderNormalizer())
  .handler(async (event) => {
    const connectionId = event.requestContext.connectionId;
    try {
      const key = event.headers?.['x-api-key'] ?? event.queryStringParameters?.apiKey;
      const tenant = await authenticate(key);
      const admission = await controlPlane().admission.consume(tenant.tenantId, tenant.limits);
      if (admission.decision !== 'admitted') return { statusCode: 429, body: 'rate limit exceeded', headers: { 'Retry-After': String(admission.retryAfterSeconds) } };
      // The key's hash, not a copy of the tenant: every message checks the key again ($default).
      await controlPlane().subscriptions.addConnection(connectionId, { tenantId: tenant.tenantId, keyHash: hashApiKey(key!) });
      logger.info({ connectionId, tenantId: tenant.tenantId }, 'socket connected');
      return { statusCode: 200, body: '' };
    } catch (error) {
      if (error instanceof ApiError) return { statusCode: error.statusCode, body: error.message };
      logger.error({ err: error, connectionId }, 'connect failed');
      return { statusCode: 503, body: 'unavailable' };
    }
  });
