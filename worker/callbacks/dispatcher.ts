/**
 * Sends each finished job's callback, fed by the worker's result path
 * (worker/process-job.ts `onFinished`): only the delivery whose conditional
 * write finished the job calls it, so a job's callback is sent once per
 * completion, with the result still in memory (no S3 read for a large one).
 * Sending happens off the job's path: the message is deleted and the slot
 * freed while the callback is tried (a few seconds of backoff at most);
 * `close()` waits for callbacks in flight when the agent drains.
 *
 * The body is the job in the API's own shape: Judge0's submission with its
 * default fields, Base64-encoded, as Judge0 PUTs it; ours, GET /jobs/{id}'s
 * view. Every request carries `x-runplane-signature` with the tenant's secret.
 */
import { callbackSecret, SIGNATURE_HEADER, signature } from '../../core/callback-target.ts';
import { publicJobView, type JobCallback, type JobRecord } from '../../core/contract.ts';
import type { Logger } from '../../core/logger.ts';
import { DEFAULT_FIELDS } from '../../functions/compat/judge0/fields.ts';
import type { SubmissionSettingsStore } from '../../functions/compat/judge0/settings-store.ts';
import { submissionView } from '../../functions/compat/judge0/submission-view.ts';
import { deliverCallback, type DeliveryOptions, type DeliveryOutcome } from './deliver.ts';

export interface DispatcherDeps {
  /** The platform's key from which each tenant's secret is derived; unset: callbacks are not sent. */
  signingKey?: string;
  /** The Judge0 settings kept beside each submission (for its view). */
  judge0Settings: SubmissionSettingsStore;
  delivery: DeliveryOptions;
  logger: Logger;
  /** Told of each callback's end (metrics, tests). */
  observe?: (jobId: string, outcome: DeliveryOutcome) => void;
  now?: () => number;
}

export class CallbackDispatcher {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {}

  /** Starts sending `job`'s callback in the background. `job` carries its result. */
  dispatch(job: JobRecord, callback: JobCallback): void {
    const sending = this.send(job, callback).catch((err: unknown) => this.deps.logger.error({ err, jobId: job.jobId }, 'callback failed unexpectedly'));
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending));
  }

  /** Waits for every callback in flight (each ends within its tries and timeouts). */
  async close(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async body(job: JobRecord, callback: JobCallback): Promise<string> {
    if (callback.format === 'runplane') return JSON.stringify(publicJobView(job));
    const settings = await this.deps.judge0Settings.get(job.jobId);
    return JSON.stringify(submissionView(job, { fields: DEFAULT_FIELDS, base64: true, versions: {}, ...(settings ? { settings } : {}) }));
  }

  private async send(job: JobRecord, callback: JobCallback): Promise<void> {
    const log = this.deps.logger.child({ jobId: job.jobId, tenantId: job.tenantId });
    // The URL may carry the client's own tokens in its query: log its host only.
    const host = URL.canParse(callback.url) ? new URL(callback.url).host : '(invalid)';
    if (!this.deps.signingKey) {
      log.warn({ host }, 'callback not sent: CALLBACK_SIGNING_KEY is not set');
      return;
    }
    const body = await this.body(job, callback);
    const seconds = Math.floor((this.deps.now?.() ?? Date.now()) / 1000);
    const headers = { [SIGNATURE_HEADER]: signature(callbackSecret(this.deps.signingKey, job.tenantId), body, seconds), 'x-runplane-job-id': job.jobId };
    const outcome = await deliverCallback(callback.url, body, headers, this.deps.delivery);
    this.deps.observe?.(job.jobId, outcome);
    if (outcome.ok) log.info({ host, status: outcome.status, tries: outcome.tries }, 'callback delivered');
    else log.warn({ host, reason: outcome.reason, tries: outcome.tries }, 'callback not delivered');
  }
}
