/**
 * `POST /run` (and the WebSocket `run` action): validate, admit, store, enqueue.
 *
 * Order matters: everything that can refuse the request (validation, the
 * tenant's ceilings, an idempotency conflict, queue backpressure, the rate
 * limit and the in-flight cap) runs before anything is written, so a refused
 * request leaves nothing behind. Then DynamoDB, Redis and (for a large input) S3 are written
 * together and only then is the job enqueued; if a write fails, the earlier
 * ones are undone and the admission slot and idempotency key are released.
 * Redis trouble fails closed (503): no job is admitted that was not counted.
 */
import { randomUUID } from 'node:crypto';
import type { AdmissionControl } from '../../core/adapters/admission.ts';
import { rateLimitHeaders } from '../../core/adapters/admission.ts';
import { CodeStore } from '../../core/adapters/code-store.ts';
import type { HotState } from '../../core/adapters/hot-state.ts';
import { bodyHash, type IdempotencyKeys } from '../../core/adapters/idempotency.ts';
import type { JobQueue } from '../../core/adapters/job-queue.ts';
import type { JobsStore } from '../../core/adapters/jobs-store.ts';
import type { QueueDepth } from '../../core/adapters/queue-depth.ts';
import { runRequestSchema, type JobCallback, type JobInput, type JobLimits, type JobMessage, type JobRecord, type RunRequest } from '../../core/contract.ts';
import { badRequest, serviceUnavailable, tooManyRequests, unprocessable } from '../../core/errors.ts';
import { DEFAULT_LIMITS, INLINE_INPUT_MAX_BYTES, LIMIT_NAMES, RECORD_INPUT_MAX_BYTES } from '../../core/limits.ts';
import type { Logger } from '../../core/logger.ts';
import { ceilingName, type Tenant } from '../../core/tenants.ts';
import { failClosed } from './admission-steps.ts';
import { checkSizes, inputBytes } from './request-size.ts';
import { describe, fieldProblems } from './validation.ts';

export interface SubmitDeps {
  code: CodeStore;
  jobs: JobsStore;
  hot: HotState;
  queue: JobQueue;
  logger: Logger;
  /** Absent: no rate limiting (tests of the storage path alone). */
  admission?: AdmissionControl;
  idempotency?: IdempotencyKeys;
  /** Absent or maxBacklog 0: no backpressure. */
  backlog?: { depth: QueueDepth; maxBacklog: number };
  now?: () => Date;
  newJobId?: () => string;
}

export interface SubmitOptions {
  idempotencyKey?: string;
  /** The shape a `callbackUrl` receives the finished job in (the Judge0 API sends its own). */
  callbackFormat?: JobCallback['format'];
  /** The WebSocket `run` action: the only caller that can send an interactive job its stdin. */
  interactiveAllowed?: boolean;
}

export interface SubmitResult {
  jobId: string;
  status: 'queued';
  /** True when an Idempotency-Key matched an earlier request: no new job was made. */
  replayed: boolean;
  /** Seconds the caller asked to wait for the result, if any. */
  wait?: number;
  headers: Record<string, string>;
}

function parse(body: unknown): RunRequest {
  checkSizes(body);
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) {
    const fields = fieldProblems(parsed.error);
    throw badRequest(describe(fields), fields);
  }
  return parsed.data;
}

/** The tenant's own ceilings, below the platform's maximums, for every per-job limit. */
function checkTenantCeilings(request: RunRequest, tenant: Tenant): void {
  const fields = LIMIT_NAMES.flatMap((name) => {
    const asked = request.limits?.[name];
    const ceiling = tenant.limits[ceilingName(name)];
    return asked !== undefined && asked > ceiling ? [{ field: `limits.${name}`, reason: `above this tenant's maximum of ${ceiling}` }] : [];
  });
  if (fields.length > 0) throw badRequest(describe(fields), fields);
}

/** What the job gets: what it asked for, else the default, but never above the tenant's ceiling. */
function jobLimits(request: RunRequest, tenant: Tenant): JobLimits {
  const limits = Object.fromEntries(LIMIT_NAMES.map((name) => [name, request.limits?.[name] ?? Math.min(DEFAULT_LIMITS[name], tenant.limits[ceilingName(name)])])) as JobLimits;
  return request.limits?.stackKb !== undefined ? { ...limits, stackKb: request.limits.stackKb } : limits;
}

/**
 * A replay makes no job, but it is a request all the same, and with `wait`
 * (outside the body hash) it holds a Lambda for up to 25 s: it takes a token
 * from the tenant's bucket, though no in-flight slot.
 */
async function replayToken(tenant: Tenant, deps: SubmitDeps, log: Logger): Promise<Record<string, string>> {
  if (!deps.admission) return {};
  const admission = await failClosed(() => deps.admission!.consume(tenant.tenantId, tenant.limits), log);
  const headers = rateLimitHeaders(admission);
  if (admission.decision !== 'admitted') throw tooManyRequests(rateLimitMessage(tenant), { ...headers, 'Retry-After': String(admission.retryAfterSeconds) });
  return headers;
}

const rateLimitMessage = (tenant: Tenant) => `rate limit of ${tenant.limits.ratePerSecond}/s (burst ${tenant.limits.burst}) exceeded`;

export async function submitJob(body: unknown, tenant: Tenant, deps: SubmitDeps, options: SubmitOptions = {}): Promise<SubmitResult> {
  const request = parse(body);
  checkTenantCeilings(request, tenant);
  if (request.interactive && !options.interactiveAllowed) {
    const fields = [{ field: 'interactive', reason: 'only over the WebSocket API (action "run"), whose socket sends the stdin' }];
    throw badRequest(describe(fields), fields);
  }
  const log = deps.logger.child({ tenantId: tenant.tenantId });
  const { wait, ...jobBody } = request;
  const idemKey = options.idempotencyKey;
  const hash = idemKey ? bodyHash(jobBody) : '';
  const waitPart = wait !== undefined ? { wait } : {};

  if (idemKey && deps.idempotency) {
    const seen = await failClosed(() => deps.idempotency!.check(tenant.tenantId, idemKey, hash), log);
    if (seen.kind === 'replay') return { jobId: seen.jobId, status: 'queued', replayed: true, headers: await replayToken(tenant, deps, log), ...waitPart };
    if (seen.kind === 'conflict') throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
  }
  if (deps.backlog && deps.backlog.maxBacklog > 0 && (await deps.backlog.depth.visible()) > deps.backlog.maxBacklog) {
    throw serviceUnavailable('the job queue is over its backlog limit; retry later', 5);
  }

  const jobId = (deps.newJobId ?? randomUUID)();
  let headers: Record<string, string> = {};
  if (deps.admission) {
    const admission = await failClosed(() => deps.admission!.admit(tenant.tenantId, tenant.limits, jobId), log);
    headers = rateLimitHeaders(admission);
    if (admission.decision !== 'admitted') {
      const message = admission.decision === 'rate_limited'
        ? rateLimitMessage(tenant)
        : `${tenant.limits.maxConcurrentJobs} jobs already queued or running for this tenant`;
      throw tooManyRequests(message, { ...headers, 'Retry-After': String(admission.retryAfterSeconds) });
    }
  }
  const releaseSlot = () => deps.admission?.release(tenant.tenantId, jobId) ?? Promise.resolve();

  if (idemKey && deps.idempotency) {
    const claim = await failClosed(() => deps.idempotency!.claim(tenant.tenantId, idemKey, hash, jobId), log).catch(async (e: unknown) => {
      await releaseSlot().catch(() => undefined);
      throw e;
    });
    if (claim.kind !== 'new') {
      await releaseSlot();
      if (claim.kind === 'conflict') throw unprocessable('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
      return { jobId: claim.jobId, status: 'queued', replayed: true, headers, ...waitPart };
    }
  }

  try {
    await store(jobId, jobBody, tenant, deps, options.callbackFormat);
  } catch (error) {
    await Promise.allSettled([releaseSlot(), idemKey && deps.idempotency ? deps.idempotency.forget(tenant.tenantId, idemKey) : undefined]);
    throw error;
  }
  log.info({ jobId, language: request.language }, 'job queued');
  return { jobId, status: 'queued', replayed: false, headers, ...waitPart };
}

/** DynamoDB, Redis and S3 (large inputs) together, then SQS; undoes the writes when any step fails. */
async function store(jobId: string, request: Omit<RunRequest, 'wait'>, tenant: Tenant, deps: SubmitDeps, callbackFormat: JobCallback['format'] = 'runplane'): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const input: JobInput = {
    language: request.language,
    stdin: request.stdin,
    args: request.args,
    files: request.files,
    ...(request.source !== undefined ? { source: request.source } : {}),
    ...(request.entryPoint !== undefined ? { entryPoint: request.entryPoint } : {}),
    ...(request.expectedOutput !== undefined ? { expectedOutput: request.expectedOutput } : {}),
    ...(request.outputs?.length ? { outputs: request.outputs } : {}),
    ...(request.tests !== undefined ? { tests: request.tests } : {}),
    ...(request.compilerOptions !== undefined ? { compilerOptions: request.compilerOptions } : {}),
  };
  const isolation = request.isolation ?? tenant.limits.defaultIsolation;
  const limits = jobLimits(request, tenant);
  const createdAt = now().toISOString();
  // Where the durable copy of the input lives: a small one in the job's record, a larger one in S3.
  const bytes = inputBytes(input);
  const inputKey = bytes > RECORD_INPUT_MAX_BYTES ? CodeStore.keyFor(jobId) : undefined;
  const kept = inputKey ? { inputKey } : { input };
  const record: JobRecord = { jobId, tenantId: tenant.tenantId, status: 'queued', language: request.language, ...kept, limits, isolation, createdAt };
  const live = { ...(request.stream || request.interactive ? { stream: true } : {}), ...(request.interactive ? { interactive: true } : {}) };
  const message: JobMessage = {
    jobId, tenantId: tenant.tenantId, ...(inputKey ? { inputKey } : {}), limits, isolation, aiEnabled: tenant.limits.ai, submittedAt: createdAt, ...live,
    ...(bytes <= INLINE_INPUT_MAX_BYTES ? { input } : {}),
    ...(request.callbackUrl ? { callback: { url: request.callbackUrl, format: callbackFormat } } : {}),
  };

  // A worker must never receive a job whose input or record is not there yet: write, then enqueue.
  const writes = await Promise.allSettled([inputKey ? deps.code.put(inputKey, input) : Promise.resolve(), deps.jobs.create(record), deps.hot.record(record, 'job.queued')]);
  const undoers = [() => (inputKey ? deps.code.delete(inputKey) : Promise.resolve()), () => deps.jobs.delete(jobId), () => deps.hot.delete(jobId)];
  const undo = undoers.filter((_, i) => writes[i]!.status === 'fulfilled');
  try {
    const failed = writes.find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed) throw failed.reason;
    await deps.queue.send(message);
  } catch (error) {
    const results = await Promise.allSettled(undo.map((step) => step()));
    const leftovers = results.filter((r) => r.status === 'rejected').length;
    deps.logger.error({ err: error, jobId, tenantId: tenant.tenantId, leftovers }, 'submit failed; undid partial writes');
    throw error;
  }
}
