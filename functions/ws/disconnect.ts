/** WebSocket `$disconnect`: nothing is subscribed yet, so there is nothing to clean up but the log line. */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logger } from '../lib/deps.ts';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  logger.info({ connectionId: event.requestContext.connectionId }, 'socket disconnected');
  return { statusCode: 200, body: '' };
};
