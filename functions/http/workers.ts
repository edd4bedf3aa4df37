/** GET /workers — live worker agents (admin keys only). */
import { listWorkers } from '../app/list-workers.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const handler = httpHandler(
  async ({ tenant }) => ({ statusCode: 200, body: await listWorkers(tenant, controlPlane.workers) }),
  { logger, authenticate },
);
