/** WebSocket `$disconnect`: forgets the connection and its subscriptions. */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { controlPlane, logger } from '../lib/deps.ts';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  const connectionId = event.requestContext.connectionId;
  // The request connection has no offline queue (fail fast): connect before the first command.
  await controlPlane().redisReady();
  await controlPlane().subscriptions.dropConnection(connectionId);
  logger.info({ connectionId }, 'socket disconnected');
  return { statusCode: 200, body: '' };
};
