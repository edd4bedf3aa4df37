/**
 * WebSocket `$default`: every message lands here (`subscribe`, `unsubscribe`,
 * `run`). Answers go back over the socket through @connections.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { handleSocketMessage } from '../app/socket-actions.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { socketPush } from '../lib/sockets.ts';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  const cp = controlPlane();
  const connectionId = event.requestContext.connectionId;
  const push = socketPush(event);
  const reply = (message: object) => push.send(connectionId, message);
  try {
    await cp.redisReady();
    await handleSocketMessage(connectionId, event.body, {
      subscriptions: controlPlane().subscriptions,
      authenticateHash: (keyHash) => cp.authenticator.authenticateHash(keyHash),
      hot: cp.hot,
      jobs: cp.jobs,
      submit: cp,
      reply,
      logger,
    });
  } catch (error) {
    logger.error({ err: error, connectionId }, 'socket message failed');
    await reply({ type: 'error', code: 'internal_error', message: 'internal error' }).catch(() => undefined);
  }
  return { statusCode: 200, body: '' };
};
