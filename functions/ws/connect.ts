/**
 * WebSocket `$connect`: authenticates the socket, takes one token from the
 * tenant's rate limit and records the key's hash for the checks of each message. Browsers cannot set headers on a WebSocket, so the key
 * may also come as the `apiKey` query parameter.
 */
import { hashApiKey } from '../../core/tenants.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { socketHandler } from '../lib/socket-handler.ts';

export const handler = socketHandler(
  async (event) => {
    const connectionId = event.requestContext.connectionId;
    const key = event.headers?.['x-api-key'] ?? event.queryStringParameters?.apiKey;
    const tenant = await controlPlane.authenticator.authenticate(key);
    const admission = await controlPlane.admission.consume(tenant.tenantId, tenant.limits);
    if (admission.decision !== 'admitted') return { statusCode: 429, body: 'rate limit exceeded', headers: { 'Retry-After': String(admission.retryAfterSeconds) } };
    // The key's hash, not a copy of the tenant: every message checks the key again ($default).
    await controlPlane.subscriptions.addConnection(connectionId, { tenantId: tenant.tenantId, keyHash: hashApiKey(key!) });
    logger.info({ connectionId, tenantId: tenant.tenantId }, 'socket connected');
  },
  { logger, stateStoreReady: controlPlane.redisReady, failure: 'connect failed' },
);
