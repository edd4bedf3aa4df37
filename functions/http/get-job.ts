/** GET /jobs/{id}[?include=log] — the job's status and, once finished, its result (and where it ran). */
import { getJob } from '../app/get-job.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const handler = httpHandler(
  async ({ event, tenant }) => {
    const includeLog = (event.queryStringParameters?.include ?? '').split(',').includes('log');
    return { statusCode: 200, body: await getJob(event.pathParameters?.id, tenant, controlPlane, { includeLog }) };
  },
  { logger, authenticate },
);
