/**
 * WebSocket `$default`: every message lands here. Job subscriptions are not
 * served yet, so each message gets an error reply naming what is supported;
 * a bad message never drops the connection.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  let action: unknown;
  try {
    action = (JSON.parse(event.body ?? '') as { action?: unknown }).action;
  } catch {
    return reply('bad_message', 'messages must be JSON objects with an "action" field');
  }
  return reply('unsupported_action', `action ${JSON.stringify(action)} is not supported yet; poll GET /jobs/{id}`);
};

function reply(code: string, message: string): APIGatewayProxyResult {
  return { statusCode: 200, body: JSON.stringify({ type: 'error', code, message }) };
}
