/**
 * WebSocket `$disconnect`: forgets the connection and its subscriptions. A
 * socket that ran a Piston `/connect` session takes its job with it: no one can
 * write to that program any more, so it is killed rather than left to idle
 * until its wall limit (a job already over refuses the kill, harmlessly).
 */
import { MAX_STDIN_BYTES } from '../../core/limits.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { socketHandler } from '../lib/socket-handler.ts';

export const handler = socketHandler(
  async (event) => {
    const connectionId = event.requestContext.connectionId;
    const { subscriptions, io } = controlPlane;
    const [connection, sessionJob] = await Promise.all([subscriptions.connectionOf(connectionId), subscriptions.sessionOf(connectionId)]);
    if (connection && sessionJob) await io.write(sessionJob, { tenantId: connection.tenantId, connectionId }, { kill: true }, MAX_STDIN_BYTES);
    await subscriptions.dropConnection(connectionId);
    logger.info({ connectionId }, 'socket disconnected');
  },
  { logger, stateStoreReady: controlPlane.redisReady, failure: 'disconnect failed' },
);
