/**
 * Judge0's submission endpoints on our use cases: `submitJob` makes the job
 * (validation, tenant ceilings, rate limit, in-flight cap, storage, queue),
 * `getJob` reads it back (tenant isolation, read rate), the waiter waits for
 * `wait=true`. What is Judge0's own (its fields, defaults, statuses, Base64)
 * is in request.ts and submission-view.ts.
 */
import { randomUUID } from 'node:crypto';
import type { JobInput } from '../../../core/contract.ts';
import { ApiError } from '../../../core/errors.ts';
import type { Tenant } from '../../../core/tenants.ts';
import { getJob, type GetJobDeps } from '../../app/get-job.ts';
import type { SubmitDeps } from '../../app/submit-job.ts';
import { CompatError, type CompatResponse } from '../shared/http.ts';
import { submit, waitFor, type Waiter } from '../shared/submit-and-wait.ts';
import type { RuntimeVersions } from '../shared/versions.ts';
import { MAX_SUBMISSION_BATCH_SIZE } from './config.ts';
import { fromApiError, invalidSubmission, judge0Error } from './errors.ts';
import { requestedFields, type SubmissionField } from './fields.ts';
import { parseSubmission, type SubmissionSettings } from './request.ts';
import type { SubmissionSettingsStore } from './settings-store.ts';
import { submissionView, type SubmissionJob } from './submission-view.ts';

export interface Judge0Deps extends SubmitDeps, GetJobDeps {
  waiter: Waiter;
  settings: SubmissionSettingsStore;
  /** Runtime versions for language names (read only when a view shows `language`). */
  versions: () => Promise<RuntimeVersions>;
}

export type Query = Record<string, string | undefined>;

const NEEDS_INPUT: SubmissionField[] = ['source_code', 'stdin', 'expected_output'];

function fieldsOf(query: Query): SubmissionField[] {
  const requested = requestedFields(query.fields);
  if (!requested.ok) throw judge0Error(400, `invalid fields: [${requested.invalid.join(', ')}]`);
  return requested.fields;
}

const versionsFor = (fields: SubmissionField[], deps: Judge0Deps) => (fields.includes('language') ? deps.versions() : Promise.resolve({}));

/**
 * Validates, stores the Judge0 settings, then submits under a token made
 * here, so the settings exist before a worker can finish the job. A refused
 * submission takes its settings back.
 */
async function create(body: unknown, base64: boolean, tenant: Tenant, deps: Judge0Deps) {
  const parsed = parseSubmission(body, base64, tenant);
  if (!parsed.ok) throw invalidSubmission(parsed.errors);
  const token = (deps.newJobId ?? randomUUID)();
  await deps.settings.put(token, parsed.settings);
  try {
    const submitted = await submit(parsed.run, tenant, { ...deps, newJobId: () => token }, { callbackFormat: 'judge0' });
    return { ...submitted, run: parsed.run, settings: parsed.settings };
  } catch (error) {
    await deps.settings.delete(token).catch(() => undefined);
    throw error;
  }
}

/** `POST /submissions[?wait=true]`: 201 `{token}`, or with `wait`, the submission (finished if it finished within 25 s). */
export async function createSubmission(body: unknown, query: Query, tenant: Tenant, deps: Judge0Deps): Promise<CompatResponse> {
  const fields = fieldsOf(query);
  const base64 = query.base64_encoded === 'true';
  const created = await create(body, base64, tenant, deps);
  if (query.wait !== 'true') return { statusCode: 201, body: { token: created.jobId }, headers: created.headers };

  const finished = await waitFor(created.jobId, deps.waiter);
  const job: SubmissionJob = finished ?? { jobId: created.jobId, status: 'queued', language: created.run.language, limits: {} as SubmissionJob['limits'], createdAt: new Date().toISOString() };
  const { run } = created;
  const input: JobInput = {
    language: run.language, source: run.source, stdin: run.stdin ?? '', args: run.args, files: run.files ?? [],
    ...(run.expectedOutput !== undefined ? { expectedOutput: run.expectedOutput } : {}),
    ...(run.tests ? { tests: run.tests } : {}),
  };
  const view = submissionView(job, { fields, base64, settings: created.settings, input, versions: await versionsFor(fields, deps) });
  return { statusCode: 201, body: view, headers: created.headers };
}

/** The submission's input, from its record or S3 (getJob has already checked the tenant). */
async function storedInput(token: string, deps: Judge0Deps): Promise<JobInput | undefined> {
  const record = (await deps.hot.get(token)) ?? (await deps.jobs.get(token));
  return record ? deps.code.inputOf(record) : undefined;
}

async function readSubmission(token: string, fields: SubmissionField[], base64: boolean, tenant: Tenant, deps: Judge0Deps, versions: RuntimeVersions) {
  const job = await getJob(token, tenant, deps);
  const [settings, input]: [SubmissionSettings | undefined, JobInput | undefined] = await Promise.all([
    deps.settings.get(token),
    fields.some((f) => NEEDS_INPUT.includes(f)) ? storedInput(token, deps) : Promise.resolve(undefined),
  ]);
  return submissionView(job, { fields, base64, versions, ...(settings ? { settings } : {}), ...(input ? { input } : {}) });
}

/** `GET /submissions/{token}`. Another tenant's token is a 404, like a missing one. */
export async function getSubmission(token: string, query: Query, tenant: Tenant, deps: Judge0Deps): Promise<CompatResponse> {
  const fields = fieldsOf(query);
  const body = await readSubmission(token, fields, query.base64_encoded === 'true', tenant, deps, await versionsFor(fields, deps));
  return { statusCode: 200, body };
}

function batchSize(count: number): void {
  if (count > MAX_SUBMISSION_BATCH_SIZE) throw judge0Error(400, `number of submissions in a batch should be less than or equal to ${MAX_SUBMISSION_BATCH_SIZE}`);
  if (count === 0) throw judge0Error(400, 'there should be at least one submission in a batch');
}

/**
 * `POST /submissions/batch`: one `{token}` or one error hash per item, in
 * order; 201 when at least one was created, else 422. Items go through the
 * rate limit one by one, so an item past it gets `{"error": …}`.
 */
export async function createBatch(body: unknown, query: Query, tenant: Tenant, deps: Judge0Deps): Promise<CompatResponse> {
  const items = (body as { submissions?: unknown } | undefined)?.submissions;
  const list = Array.isArray(items) ? items : [];
  batchSize(list.length);
  const base64 = query.base64_encoded === 'true';
  const answers: unknown[] = [];
  for (const item of list) {
    try {
      answers.push({ token: (await create(item, base64, tenant, deps)).jobId });
    } catch (error) {
      if (error instanceof CompatError) answers.push(error.body);
      else if (error instanceof ApiError) answers.push(fromApiError(error).body);
      else throw error;
    }
  }
  const created = answers.some((a) => typeof a === 'object' && a !== null && 'token' in a);
  return { statusCode: created ? 201 : 422, body: answers };
}

/** `GET /submissions/batch?tokens=a,b`: `{submissions: [...]}`, null for a token that is not found. */
export async function getBatch(query: Query, headers: Query, tenant: Tenant, deps: Judge0Deps): Promise<CompatResponse> {
  const fields = fieldsOf(query);
  const tokens = (headers.tokens ?? query.tokens ?? '').trim().split(',').filter((t) => t !== '');
  batchSize(tokens.length);
  const base64 = query.base64_encoded === 'true';
  const versions = await versionsFor(fields, deps);
  const submissions = [];
  for (const token of tokens) {
    submissions.push(await readSubmission(token, fields, base64, tenant, deps, versions).catch((error: unknown) => {
      if (error instanceof ApiError && error.statusCode === 404) return null;
      throw error;
    }));
  }
  return { statusCode: 200, body: { submissions } };
}
