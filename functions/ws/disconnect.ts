/** WebSocket `$disconnect`: forgets the connection and its subscriptions. */
import { controlPlane, logger } from '../lib/deps.ts';
import { socketHandler } from '../lib/socket-handler.ts';

export const handler = socketHandler(
  async (event) => {
    const connectionId = event.requestContext.connectionId;
    await controlPlane.subscriptions.dropConnection(connectionId);
    logger.info({ connectionId }, 'socket disconnected');
  },
  { logger, stateStoreReady: controlPlane.redisReady, failure: 'disconnect failed' },
);
