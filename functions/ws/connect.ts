/**
 * WebSocket `$connect`: authenticates the socket. Browsers cannot set headers
 * on a WebSocket, so the key may also come as the `apiKey` query parameter.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ApiError } from '../../core/errors.ts';
import { controlPlane, logger } from '../lib/deps.ts';

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
};

export const handler = middy<ConnectEvent, APIGatewayProxyResult>()
  .use(httpHeaderNormalizer())
  .handler(async (event) => {
    const key = event.headers?.['x-api-key'] ?? event.queryStringParameters?.apiKey;
    try {
      const tenant = controlPlane().apiKeys.authenticate(key);
      logger.info({ connectionId: event.requestContext.connectionId, tenantId: tenant.tenantId }, 'socket connected');
      return { statusCode: 200, body: '' };
    } catch (error) {
      if (error instanceof ApiError) return { statusCode: error.statusCode, body: error.message };
      throw error;
    }
  });
