/** Per-environment helpers for the WebSocket handlers: the @connections client . */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { SocketPush } from '../../core/adapters/socket-push.ts';
import { controlPlane } from './deps.ts';

const pushers = new Map<string, SocketPush>();

/** The @connections endpoint: configured (local), else the API's own domain and stage. */
export function socketPush(event: APIGatewayProxyWebsocketEventV2): SocketPush {
  const cp = controlPlane();
  const endpoint = cp.config.WS_MANAGEMENT_ENDPOINT ?? `https://${event.requestContext.domainName}/${event.requestContext.stage}`;
  let pusher = pushers.get(endpoint);
  if (!pusher) {
    pusher = new SocketPush(endpoint, cp.config.AWS_REGION);
    pushers.set(endpoint, pusher);
  }
  return pusher;
}
