/**
 * The Judge0 CE 1.13.1 compatible API under `/judge0`: one Lambda for its
 * routes. Auth is our API key, in Judge0's `X-Auth-Token` header or in
 * `x-api-key`; submissions are rate-limited and capped like `POST /run`.
 */
import { listLanguages } from '../../app/list-languages.ts';
import { authenticate, controlPlane, logger } from '../../lib/deps.ts';
import { compatHandler, type CompatRequest, type CompatResponse } from '../shared/http.ts';
import { runtimeVersions } from '../shared/versions.ts';
import { MAX_SUBMISSION_BODY_BYTES } from '../../app/request-size.ts';
import { configInfo } from './config.ts';
import { judge0Error, judge0NotFound, translateJudge0Error } from './errors.ts';
import { about, languageList, systemInfo } from './info.ts';
import { judge0LanguageById, languageDetails } from './languages.ts';
import { SubmissionSettingsStore } from './settings-store.ts';
import { createBatch, createSubmission, getBatch, getSubmission, type Judge0Deps } from './submissions.ts';
import { JUDGE0_STATUSES } from './statuses.ts';

const settings = new SubmissionSettingsStore(controlPlane.judge0Settings);

function deps(): Judge0Deps {
  const cp = controlPlane;
  return { ...cp, settings, versions: async () => runtimeVersions(await listLanguages(cp.runtimeVersions)) };
}

const tenantOf = (request: CompatRequest) => authenticate(request.headers['x-auth-token'] ?? request.headers['x-api-key']);

function route(method: 'GET' | 'POST', path: RegExp, handle: (request: CompatRequest) => Promise<CompatResponse>) {
  return { method, path, handle };
}

const ok = (body: unknown): CompatResponse => ({ statusCode: 200, body });

export const handler = compatHandler({
  logger,
  maxBodyBytes: MAX_SUBMISSION_BODY_BYTES,
  base: (rawPath) => {
    const match = /^\/judge0(\/.*)?$/.exec(rawPath);
    return match ? { path: match[1] ?? '/' } : undefined;
  },
  translate: translateJudge0Error,
  notFound: judge0NotFound,
  malformedJson: (reason) => judge0Error(400, `malformed JSON: ${reason}`),
  tooLarge: (max) => judge0Error(413, `request body is larger than ${max} bytes`),
  internalError: (requestId) => judge0Error(500, `internal error (request id ${requestId})`),
  routes: [
    route('POST', /^\/submissions\/batch\/?$/, async (r) => { const tenant = await tenantOf(r); return createBatch(r.json(), r.query, tenant, deps()); }),
    route('GET', /^\/submissions\/batch\/?$/, async (r) => getBatch(r.query, r.headers, await tenantOf(r), deps())),
    route('POST', /^\/submissions\/?$/, async (r) => { const tenant = await tenantOf(r); return createSubmission(r.json(), r.query, tenant, deps()); }),
    route('GET', /^\/submissions\/([^/]+)\/?$/, async (r) => getSubmission(r.params[0]!, r.query, await tenantOf(r), deps())),
    route('GET', /^\/languages\/?$/, async (r) => {
      await tenantOf(r);
      return ok(languageList(await deps().versions()));
    }),
    route('GET', /^\/languages\/([^/]+)\/?$/, async (r) => {
      await tenantOf(r);
      const language = /^\d+$/.test(r.params[0]!) ? judge0LanguageById(Number(r.params[0])) : undefined;
      if (!language) throw judge0NotFound();
      return ok(languageDetails(language, await deps().versions()));
    }),
    route('GET', /^\/statuses\/?$/, async (r) => (await tenantOf(r), ok(JUDGE0_STATUSES))),
    route('GET', /^\/about\/?$/, async (r) => (await tenantOf(r), ok(about()))),
    route('GET', /^\/config_info\/?$/, async (r) => (await tenantOf(r), ok(configInfo(controlPlane.config.MAX_QUEUE_BACKLOG)))),
    route('GET', /^\/system_info\/?$/, async (r) => (await tenantOf(r), ok(systemInfo()))),
  ],
});
