/**
 * What the worker does with one SQS delivery. It returns what should happen
 * to the message, keeping the line between "the user's program failed" (a
 * completed job with a verdict: delete) and "our infrastructure failed"
 * (retry the delivery; after the last one, mark the job failed).
 */
import type { CodeStore } from '../core/adapters/code-store.ts';
import type { HotState } from '../core/adapters/hot-state.ts';
import type { JobsStore, StoredResult } from '../core/adapters/jobs-store.ts';
import { RESULT_INLINE_MAX_BYTES, ResultStore } from '../core/adapters/result-store.ts';
import { INFRASTRUCTURE_ERROR, isFinished, jobMessageSchema, type ExecutionLog, type JobInput, type JobMessage, type JobRecord, type JobResult } from '../core/contract.ts';
import type { Logger } from '../core/logger.ts';
import { UnrecoverableError } from './errors.ts';
import { liveJob, type LiveJob, type LiveJobDeps } from './live-job.ts';
import type { Delivery, Disposition } from './sqs-consumer.ts';
import type { ContainerReport, Execute } from './sandbox-host/executor.ts';

export interface ProcessDeps {
  workerId: string;
  jobs: JobsStore;
  hot: HotState;
  code: CodeStore;
  /** Where results too large for the job's record go. */
  results: ResultStore;
  /** Runs the job in a sandbox (worker/sandbox-host/executor.ts owns the request's shape). */
  execute: Execute;
  maxReceiveCount: number;
  logger: Logger;
  /** Told about every finished job (metrics, last-job time). */
  observe?: (o: JobObservation) => void;
  /** Told once per finished job (the delivery that finished it), result loaded: sends its callback. */
  onFinished?: (job: JobRecord, message: JobMessage) => void;
  /** Streaming and interactive jobs' output events and input queue (absent: such jobs run as plain ones). */
  live?: Omit<LiveJobDeps, 'log'>;
  /** Frees the tenant's in-flight slot once the job is finished, whichever way. */
  release?: (tenantId: string, jobId: string) => Promise<void>;
  now?: () => Date;
}

export interface JobObservation {
  language: string;
  /** Set when the job ran in a container. */
  poolHit?: boolean;
  containerStartMs?: number;
  cpuMs?: number;
  memoryKb?: number;
  /** The verdict, or `failed` when our infrastructure gave up. */
  outcome: string;
  queueWaitMs: number;
  runMs: number;
  totalMs: number;
}

function parseMessage(body: string): JobMessage | string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const parsed = jobMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : `invalid job message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
}

export async function processDelivery(delivery: Delivery, deps: ProcessDeps): Promise<Disposition> {
  const now = deps.now ?? (() => new Date());
  const message = parseMessage(delivery.body);
  if (typeof message === 'string') return { action: 'dead-letter', reason: message };
  const log = deps.logger.child({ jobId: message.jobId, tenantId: message.tenantId, workerId: deps.workerId });

  const received = Date.now();
  let live: LiveJob | undefined;
  const observe = (outcome: string, runMs: number, language: string, extra: Partial<JobObservation> = {}) =>
    deps.observe?.({ language, outcome, queueWaitMs: Math.max(0, received - Date.parse(message.submittedAt)), runMs, totalMs: Date.now() - received, ...extra });
  try {
    // The message schema guarantees one of the two.
    const input = message.input ?? (await deps.code.get(message.inputKey!));
    const startedAt = now().toISOString();
    const running = runningRecord(message, input, deps.workerId, startedAt, delivery.receiveCount);
    const skip = async (existing: JobRecord | undefined) => {
      log.info({ status: existing?.status ?? 'finished' }, 'redelivery of a finished job; not running it again');
      // The delivery that finished it may have failed to tell Redis (e.g. Redis was down or
      // failing over): set the hot state and the final event right now, best effort.
      if (existing) await repairHotState(deps, existing, log);
      await releaseSlot(deps, message, log);
      return { action: 'delete' } as const;
    };
    // Reads the job's record once, when the claim alone cannot decide: a disposition when the job
    // must not run (no record, or already finished), undefined when it runs.
    let record: JobRecord | undefined;
    const byRecord = async (): Promise<Disposition | undefined> => {
      record ??= await deps.jobs.get(message.jobId);
      if (!record) return { action: 'dead-letter', reason: 'no job record for this message' };
      return isFinished(record) ? skip(record) : undefined;
    };
    // A redelivery may be of a job an earlier delivery finished without being able to tell Redis
    // (Redis then still says running): the record decides, before anything is announced.
    const refused = delivery.receiveCount > 1 ? await byRecord() : undefined;
    if (refused) return refused;
    // The claim is one Redis call that also announces the run (job.running); it tells a redelivery
    // of a finished job apart. When Redis cannot say (no state, or Redis failing), the job's record
    // decides, so a finished job is not run again and a queued one runs on without Redis.
    const claim = await deps.hot.claim(running).catch((err: unknown) => (log.warn({ err }, 'could not claim the job in Redis; reading its record'), 'unreachable' as const));
    if (claim === 'finished') return skip(undefined);
    if (claim !== 'claimed') {
      const notToRun = await byRecord();
      if (notToRun) return notToRun;
      // Redis lost the job's state (or is failing): announce the run the ordinary way, best effort.
      if (claim === 'unknown') await deps.hot.record(running, 'job.running').catch((err: unknown) => log.warn({ err }, 'could not announce the running job'));
    }

    let ran: ContainerReport | undefined;
    // Only a retried live job asks how far an earlier attempt got: a first delivery costs nothing.
    const retriedLive = deps.live && delivery.receiveCount > 1 && (message.stream || message.interactive);
    const seqBefore = retriedLive ? await deps.live!.io.outputCount(message.jobId) : 0;
    live = deps.live && liveJob(message, { ...deps.live, log }, seqBefore);
    const result = await deps.execute({
      input,
      limits: message.limits,
      isolation: message.isolation,
      tenantId: message.tenantId,
      aiEnabled: message.aiEnabled,
      log,
      onContainer: (report) => (ran = report),
      ...(live ? { live: live.live } : {}),
    });
    await live?.finish(); // all output events before the final one
    const finishedAt = now().toISOString();
    const executionLog: ExecutionLog = {
      workerId: deps.workerId,
      isolation: message.isolation,
      attempts: delivery.receiveCount,
      acceptedAt: message.submittedAt,
      receivedAt: new Date(received).toISOString(),
      startedAt,
      finishedAt,
      ...(ran ? { containerId: ran.containerId, poolHit: ran.poolHit } : {}),
    };
    const stored = await storeResult(message.jobId, result, delivery.receiveCount, deps.results);
    const completed = await deps.jobs.complete(message.jobId, stored, finishedAt, { executionLog, workerId: deps.workerId, startedAt, attempts: delivery.receiveCount });
    if (!completed) {
      // Another delivery completed it first: its result stands (ours in S3 is not needed), and Redis is
      // told in case that delivery could not tell it.
      if ('resultKey' in stored) await deps.results.delete(stored.resultKey).catch((err: unknown) => log.warn({ err }, 'could not delete an unused result'));
      const existing = await deps.jobs.get(message.jobId);
      log.info({ status: existing?.status }, 'the job was finished by another delivery; its result stands');
      if (existing) await repairHotState(deps, existing, log);
      await releaseSlot(deps, message, log);
      return { action: 'delete' };
    }
    // Stored: this delivery finished the job. It is counted and its callback sent now, whatever Redis
    // does next (a redelivery finds the job finished and does neither again).
    log.info({ verdict: result.verdict, timeMs: result.timeMs, attempt: delivery.receiveCount }, 'job completed');
    deps.onFinished?.({ ...completed, result }, message);
    observe(result.verdict, result.timeMs, input.language, {
      ...(ran ? { poolHit: ran.poolHit, containerStartMs: ran.containerStartMs } : {}),
      cpuMs: result.cpuTimeMs,
      memoryKb: result.memoryKb,
    });
    const told = await deps.hot.record(completed, 'job.completed').then(() => true, (err: unknown) => (log.warn({ err }, 'could not tell Redis the job finished'), false));
    await releaseSlot(deps, message, log);
    // Until Redis is told, readers of the hot state see the job running: a redelivery tells it.
    if (!told && delivery.receiveCount < deps.maxReceiveCount) return { action: 'retry', reason: 'could not tell Redis the job finished' };
    return { action: 'delete' };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: error, attempt: delivery.receiveCount }, 'job attempt failed (infrastructure)');
    const recoverable = !(error instanceof UnrecoverableError);
    await live?.finish(!(recoverable && delivery.receiveCount < deps.maxReceiveCount));
    if (recoverable && delivery.receiveCount < deps.maxReceiveCount) return { action: 'retry', reason };
    // The user gets a stable error; the cause stays in this log line, found by the job id.
    log.error({ err: error, attempts: delivery.receiveCount, recoverable }, 'job failed: giving up (infrastructure)');
    const failed = await deps.jobs.fail(message.jobId, INFRASTRUCTURE_ERROR, now().toISOString());
    if (failed) {
      observe('failed', 0, failed.language);
      deps.onFinished?.(failed, message);
      // When Redis cannot be told, this throws and the consumer retries the message: the redelivery finds the job finished and tells Redis.
      await deps.hot.record(failed, 'job.failed');
    }
    await releaseSlot(deps, message, log);
    return { action: 'dead-letter', reason };
  }
}

/** The job's state while it runs, from its message: what `POST /run` stored, plus who runs it since when. */
function runningRecord(message: JobMessage, input: JobInput, workerId: string, startedAt: string, attempts: number): JobRecord {
  return {
    jobId: message.jobId,
    tenantId: message.tenantId,
    status: 'running',
    language: input.language,
    // As in the job's record: a large input by its S3 key, a small one itself.
    ...(message.inputKey ? { inputKey: message.inputKey } : { input }),
    limits: message.limits,
    isolation: message.isolation,
    createdAt: message.submittedAt,
    startedAt,
    workerId,
    attempts,
  };
}

async function repairHotState(deps: ProcessDeps, job: JobRecord, log: Logger): Promise<void> {
  if (!isFinished(job)) return;
  await deps.hot.record(job, job.status === 'completed' ? 'job.completed' : 'job.failed').catch((err: unknown) => log.warn({ err }, 'could not repair the hot state'));
}

/** Small results go in the record; larger ones (DynamoDB items stop at 400 KB) in S3, the record keeping the key. */
async function storeResult(jobId: string, result: JobResult, attempt: number, results: ResultStore): Promise<StoredResult> {
  if (Buffer.byteLength(JSON.stringify(result), 'utf8') <= RESULT_INLINE_MAX_BYTES) return { result };
  const resultKey = ResultStore.keyFor(jobId, attempt);
  await results.put(resultKey, result);
  return { resultKey };
}

async function releaseSlot(deps: ProcessDeps, message: JobMessage, log: Logger): Promise<void> {
  // Best effort: a slot that is not released expires on its own (IN_FLIGHT_EXPIRY_MS).
  await deps.release?.(message.tenantId, message.jobId).catch((err: unknown) => log.warn({ err }, 'could not release the in-flight slot'));
}
