/**
 * WebSocket `$default`: every message lands here (`subscribe`, `unsubscribe`,
 * `run`). Answers go back over the socket through @connections.
 */
import { handleSocketMessage } from '../app/socket-actions.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { socketHandler, type SocketEvent } from '../lib/socket-handler.ts';
import { socketPush } from '../lib/sockets.ts';

const reply = (event: SocketEvent, message: object) => socketPush(event).send(event.requestContext.connectionId, message);

export const handler = socketHandler(
  async (event) => {
    await handleSocketMessage(event.requestContext.connectionId, event.body, {
      subscriptions: controlPlane.subscriptions,
      authenticateHash: (keyHash) => controlPlane.authenticator.authenticateHash(keyHash),
      hot: controlPlane.hot,
      jobs: controlPlane.jobs,
      io: controlPlane.io,
      submit: controlPlane,
      reply: (message) => reply(event, message),
      logger,
    });
  },
  { logger, stateStoreReady: controlPlane.redisReady, failure: 'socket message failed', tellClient: reply },
);
