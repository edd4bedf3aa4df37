/**
 * The Piston v2 compatible API under `/piston` (`/api/v2/execute`,
 * `/api/v2/runtimes`), and under `/piston/k/{key}` for clients that cannot set
 * a header. The key is our API key, from the path, `x-api-key` or
 * `Authorization` (bare or `Bearer`); nothing here logs the path.
 */
import { listLanguages } from '../../app/list-languages.ts';
import { authenticate, controlPlane, logger } from '../../lib/deps.ts';
import { MAX_SUBMISSION_BODY_BYTES } from '../../app/request-size.ts';
import { compatHandler, type CompatRequest } from '../shared/http.ts';
import { runtimeVersions } from '../shared/versions.ts';
import { pistonError, translatePistonError } from './errors.ts';
import { execute, runtimes, type PistonDeps } from './execute.ts';

function deps(): PistonDeps {
  const cp = controlPlane;
  return { ...cp, versions: async () => runtimeVersions(await listLanguages(cp.runtimeVersions)) };
}

const tenantOf = (request: CompatRequest) =>
  authenticate(request.pathKey ?? request.headers['x-api-key'] ?? request.headers.authorization?.replace(/^Bearer\s+/i, ''));

export const handler = compatHandler({
  logger,
  maxBodyBytes: MAX_SUBMISSION_BODY_BYTES,
  base: (rawPath) => {
    const match = /^\/piston(?:\/k\/([^/]+))?(\/.*)?$/.exec(rawPath);
    if (!match) return undefined;
    return { path: match[2] ?? '/', ...(match[1] !== undefined ? { key: decodeURIComponent(match[1]) } : {}) };
  },
  translate: (error) => translatePistonError(error),
  notFound: () => pistonError(404, 'not found'),
  malformedJson: (reason) => pistonError(400, `malformed JSON: ${reason}`),
  tooLarge: (max) => pistonError(413, `request body is larger than ${max} bytes`),
  internalError: (requestId) => pistonError(500, `internal error (request id ${requestId})`),
  routes: [
    { method: 'POST', path: /^\/api\/v2\/execute\/?$/, handle: async (r) => { const tenant = await tenantOf(r); return execute(r.json(), tenant, deps()); } },
    { method: 'GET', path: /^\/api\/v2\/runtimes\/?$/, handle: async (r) => (await tenantOf(r), runtimes(deps())) },
  ],
});
