/**
 * WebSocket `$default`: every message lands here (`subscribe`, `unsubscribe`,
 * `run`, `stdin`, `kill`, and Piston's `/api/v2/connect` messages, which carry
 * a `type` and no `action`). Answers go back over the socket through @connections.
 */
import { listLanguages } from '../app/list-languages.ts';
import { currentTenant, handleSocketMessage, type SocketDeps } from '../app/socket-actions.ts';
import { handlePistonMessage, pistonMessage } from '../compat/piston/connect.ts';
import { runtimeVersions } from '../compat/shared/versions.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { socketHandler, type SocketEvent } from '../lib/socket-handler.ts';
import { socketPush } from '../lib/sockets.ts';

const reply = (event: SocketEvent, message: object) => socketPush(event).send(event.requestContext.connectionId, message);

export const handler = socketHandler(
  async (event) => {
    const connectionId = event.requestContext.connectionId;
    const deps: SocketDeps = {
      subscriptions: controlPlane.subscriptions,
      authenticateHash: (keyHash) => controlPlane.authenticator.authenticateHash(keyHash),
      hot: controlPlane.hot,
      jobs: controlPlane.jobs,
      io: controlPlane.io,
      submit: controlPlane,
      reply: (message) => reply(event, message),
      logger,
    };
    const piston = pistonMessage(event.body);
    if (!piston) return void (await handleSocketMessage(connectionId, event.body, deps));
    const close = () => socketPush(event).close(connectionId);
    const tenant = await currentTenant(connectionId, deps);
    if (!tenant) return void (await close());
    const versions = async () => runtimeVersions(await listLanguages(controlPlane.runtimeVersions));
    await handlePistonMessage(connectionId, tenant, piston, { ...deps, versions, close });
  },
  { logger, stateStoreReady: controlPlane.redisReady, failure: 'socket message failed', tellClient: reply },
);
