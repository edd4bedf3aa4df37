/** POST /run — submit a job; answers 202 with its id. */
import { MAX_SOURCE_BYTES, MAX_STDIN_BYTES } from '../../core/limits.ts';
import { submitJob } from '../app/submit-job.ts';
import { controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

/** Room for JSON escaping around the largest allowed source and stdin. */
const MAX_BODY_BYTES = 2 * (MAX_SOURCE_BYTES + MAX_STDIN_BYTES) + 16 * 1024;

export const handler = httpHandler(
  async ({ body, tenant }) => ({ statusCode: 202, body: await submitJob(body, tenant, controlPlane()) }),
  { logger, apiKeys: () => controlPlane().apiKeys, jsonBodyMaxBytes: MAX_BODY_BYTES },
);
