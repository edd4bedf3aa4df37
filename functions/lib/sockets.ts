/** The @connections client for the WebSocket handlers: one per endpoint, made when first needed (in AWS the endpoint comes from the request). */
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { SocketPush } from '../../core/adapters/socket-push.ts';
import { controlPlane } from './deps.ts';

const pushers = new Map<string, SocketPush>();

/** The @connections endpoint: configured (local), else the API's own domain and stage. */
export function socketPush(event: APIGatewayProxyWebsocketEventV2): SocketPush {
  const endpoint = controlPlane.config.WS_MANAGEMENT_ENDPOINT ?? `https://${event.requestContext.domainName}/${event.requestContext.stage}`;
  let pusher = pushers.get(endpoint);
  if (!pusher) {
    pusher = new SocketPush(endpoint, controlPlane.config.AWS_REGION);
    pushers.set(endpoint, pusher);
  }
  return pusher;
}
