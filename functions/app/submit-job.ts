/**
 * `POST /run`: validate, then store the input (S3), the record (DynamoDB) and
 * the hot state (Redis), and only then enqueue (SQS). Validation happens
 * before any write; if a later write fails, the earlier ones are undone, so a
 * rejected request leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { CodeStore } from '../../core/adapters/code-store.ts';
import type { HotState } from '../../core/adapters/hot-state.ts';
import type { JobQueue } from '../../core/adapters/job-queue.ts';
import type { JobsStore } from '../../core/adapters/jobs-store.ts';
import { runRequestSchema, type IsolationTier, type JobInput, type JobMessage, type JobRecord } from '../../core/contract.ts';
import { badRequest, payloadTooLarge } from '../../core/errors.ts';
import { DEFAULT_LIMITS, INLINE_INPUT_MAX_BYTES, MAX_SOURCE_BYTES, MAX_STDIN_BYTES, MAX_TOTAL_FILES_BYTES } from '../../core/limits.ts';
import type { Logger } from '../../core/logger.ts';
import type { Tenant } from '../lib/api-keys.ts';
import { describe, fieldProblems } from './validation.ts';

export interface SubmitDeps {
  code: CodeStore;
  jobs: JobsStore;
  hot: HotState;
  queue: JobQueue;
  logger: Logger;
  now?: () => Date;
  newJobId?: () => string;
  /** Tier for jobs that do not ask for one. */
  defaultIsolation?: IsolationTier;
}

export interface SubmitResult {
  jobId: string;
  status: 'queued';
}

function checkSizes(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object', [{ field: '(body)', reason: 'must be a JSON object' }]);
  }
  const { source, stdin, files } = body as Record<string, unknown>;
  if (typeof source === 'string' && Buffer.byteLength(source) > MAX_SOURCE_BYTES) throw payloadTooLarge('source', MAX_SOURCE_BYTES);
  if (typeof stdin === 'string' && Buffer.byteLength(stdin) > MAX_STDIN_BYTES) throw payloadTooLarge('stdin', MAX_STDIN_BYTES);
  if (Array.isArray(files)) {
    const total = files.reduce((sum: number, f: unknown) => {
      const content = (f as { content?: unknown } | null)?.content;
      return sum + (typeof content === 'string' ? Buffer.byteLength(content) : 0);
    }, typeof source === 'string' ? Buffer.byteLength(source) : 0);
    if (total > MAX_TOTAL_FILES_BYTES) throw payloadTooLarge('files', MAX_TOTAL_FILES_BYTES);
  }
}

function inputBytes(input: JobInput): number {
  return [input.source ?? '', input.stdin, input.expectedOutput ?? '', ...input.files.map((f) => f.content), ...input.args].reduce((n, s) => n + Buffer.byteLength(s), 0);
}

export async function submitJob(body: unknown, tenant: Tenant, deps: SubmitDeps): Promise<SubmitResult> {
  checkSizes(body);
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) {
    const fields = fieldProblems(parsed.error);
    throw badRequest(describe(fields), fields);
  }
  const request = parsed.data;
  const now = deps.now ?? (() => new Date());
  const jobId = (deps.newJobId ?? randomUUID)();
  const input: JobInput = {
    language: request.language,
    stdin: request.stdin,
    args: request.args,
    files: request.files,
    ...(request.source !== undefined ? { source: request.source } : {}),
    ...(request.entryPoint !== undefined ? { entryPoint: request.entryPoint } : {}),
    ...(request.expectedOutput !== undefined ? { expectedOutput: request.expectedOutput } : {}),
  };
  const isolation = request.isolation ?? deps.defaultIsolation ?? 'standard';
  const inputKey = CodeStore.keyFor(jobId);
  const limits = { ...DEFAULT_LIMITS, ...request.limits };
  const createdAt = now().toISOString();
  const record: JobRecord = { jobId, tenantId: tenant.tenantId, status: 'queued', language: request.language, inputKey, limits, isolation, createdAt };
  const inline = inputBytes(input) <= INLINE_INPUT_MAX_BYTES;
  const message: JobMessage = { jobId, tenantId: tenant.tenantId, inputKey, limits, isolation, submittedAt: createdAt, ...(inline ? { input } : {}) };

  // The three stores are independent: write them together, and only then enqueue,
  // so a worker can never receive a job whose input or record is not there yet.
  const writes = await Promise.allSettled([deps.code.put(inputKey, input), deps.jobs.create(record), deps.hot.record(record, 'job.queued')]);
  const undoers = [() => deps.code.delete(inputKey), () => deps.jobs.delete(jobId), () => deps.hot.delete(jobId)];
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
  deps.logger.info({ jobId, tenantId: tenant.tenantId, language: request.language, inline }, 'job queued');
  return { jobId, status: 'queued' };
}
