/**
 * The middy chain every WebSocket handler uses: header normalisation, a
 * connected state store (the request connection has no offline queue, so it
 * connects before the first command; 503 when it cannot), then the handler,
 * and the error handler last (error-responses.ts). A route whose answer the
 * client never sees (`$default`) says how to tell the client instead.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import type { Logger } from '../../core/logger.ts';
import { socketErrorMessage, socketErrorResponse } from './error-responses.ts';

export type SocketEvent = APIGatewayProxyWebsocketEventV2 & {
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
};

interface SocketHandlerOptions<E extends SocketEvent> {
  logger: Logger;
  /** Resolves once the state store answers; rejects with a 503 ApiError otherwise. */
  stateStoreReady: () => Promise<unknown>;
  /** The log line of an unexpected failure. */
  failure: string;
  /** For a message route: sends a message to the client, which hears of a failure this way (the route answers 200). */
  tellClient?: (event: E, message: object) => Promise<unknown>;
}

const OK: APIGatewayProxyResult = { statusCode: 200, body: '' };

export function socketHandler<E extends SocketEvent>(
  handle: (event: E) => Promise<APIGatewayProxyResult | void>,
  options: SocketHandlerOptions<E>,
) {
  const stateStore: MiddlewareObj<E, APIGatewayProxyResult> = { before: async () => void (await options.stateStoreReady()) };
  const errorHandler: MiddlewareObj<E, APIGatewayProxyResult> = {
    onError: async (request) => {
      const connectionId = request.event.requestContext.connectionId;
      const logFailure = () => options.logger.error({ err: request.error, connectionId }, options.failure);
      if (!options.tellClient) {
        request.response = socketErrorResponse(request.error, logFailure);
        return;
      }
      logFailure();
      await options.tellClient(request.event, socketErrorMessage).catch(() => undefined);
      request.response = OK;
    },
  };
  return middy<E, APIGatewayProxyResult>()
    .use(httpHeaderNormalizer())
    .use(stateStore)
    .use(errorHandler)
    .handler(async (event) => (await handle(event)) ?? OK);
}
