/**
 * The one place where a control-plane failure becomes what the client gets.
 * An ApiError carries its status, code and headers; anything else is
 * unexpected: logged with the request's id and answered without its text,
 * which could reveal internals. Used by the error handler that ends every
 * HTTP and every WebSocket middy chain.
 */
import type { APIGatewayProxyResult, APIGatewayProxyResultV2 } from 'aws-lambda';
import { ApiError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** HTTP: `{"error":{code,message,fields?},"requestId"}`; unexpected errors a generic 500. */
export function httpErrorResponse(error: unknown, requestId: string, logger: Logger): APIGatewayProxyResultV2 {
  if (error instanceof ApiError) return json(error.statusCode, { error: error.toJSON(), requestId }, error.headers);
  logger.error({ err: error, requestId }, 'unhandled error');
  return json(500, { error: { code: 'internal_error', message: 'internal error' }, requestId });
}

/**
 * WebSocket routes whose answer API Gateway passes on (`$connect`: a refused
 * handshake): the ApiError's status and message as text; unexpected errors 503.
 */
export function socketErrorResponse(error: unknown, logFailure: () => void): APIGatewayProxyResult {
  if (error instanceof ApiError) return { statusCode: error.statusCode, body: error.message };
  logFailure();
  return { statusCode: 503, body: 'unavailable' };
}

/** WebSocket message routes (`$default`): the client hears of a failure over the socket, never its cause. */
export const socketErrorMessage = { type: 'error', code: 'internal_error', message: 'internal error' } as const;
