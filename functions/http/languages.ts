/** GET /languages — supported languages and their runtime versions. */
import { listLanguages } from '../app/list-languages.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';

export const handler = httpHandler(
  async () => ({ statusCode: 200, body: await listLanguages(controlPlane.runtimeVersions) }),
  { logger, authenticate },
);
