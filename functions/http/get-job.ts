/** GET /jobs/{id} — the job's status and, once finished, its result. */
import { getJob } from '../app/get-job.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const handler = httpHandler(
  async ({ event, tenant }) => ({ statusCode: 200, body: await getJob(event.pathParameters?.id, tenant, controlPlane()) }),
  { logger, authenticate },
);
