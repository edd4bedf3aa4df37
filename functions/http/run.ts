/**
 * POST /run — submit a job. 202 with its id; with `"wait": s`, 200 with the
 * finished job if it finishes within s seconds. `Idempotency-Key` makes
 * retries safe. Answers carry RateLimit-* headers.
 */
import { publicJobView } from '../../core/contract.ts';
import { MAX_SUBMISSION_BODY_BYTES } from '../app/request-size.ts';
import { submitJob } from '../app/submit-job.ts';
import { authenticate, controlPlane, logger } from '../lib/deps.ts';
import { httpHandler } from '../lib/http.ts';
import { metrics, outcomeOf, recordSubmission } from '../lib/metrics.ts';

export const handler = httpHandler(
  async ({ body, tenant, event }) => {
    const idempotencyKey = event.headers?.['idempotency-key'];
    const started = performance.now();
    const submitted = await submitJob(body, tenant, controlPlane, idempotencyKey ? { idempotencyKey } : {}).catch((error: unknown) => {
      recordSubmission(metrics, outcomeOf((error as { statusCode?: number }).statusCode ?? 500), performance.now() - started);
      throw error;
    });
    recordSubmission(metrics, submitted.replayed ? 'replayed' : 'accepted', performance.now() - started);
    const headers = { ...submitted.headers, ...(submitted.replayed ? { 'Idempotent-Replayed': 'true' } : {}) };
    if (submitted.wait) {
      const job = await controlPlane.waiter.wait(submitted.jobId, submitted.wait);
      if (job) return { statusCode: 200, body: publicJobView(job), headers };
    }
    return { statusCode: 202, body: { jobId: submitted.jobId, status: submitted.status }, headers };
  },
  { logger, authenticate, jsonBodyMaxBytes: MAX_SUBMISSION_BODY_BYTES, metrics },
);
