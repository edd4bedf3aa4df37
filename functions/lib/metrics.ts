/**
 * Control-plane metrics in CloudWatch embedded metric format (Powertools
 * Metrics): printed as structured log lines that CloudWatch turns into
 * metrics, so a Lambda needs no metrics API calls or permissions. Locally
 * they land in the API's log.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics({ namespace: 'Runplane', serviceName: 'runplane-api' });

export type SubmissionOutcome = 'accepted' | 'replayed' | 'invalid' | 'rate_limited' | 'unavailable' | 'unauthorized' | 'error';

/**
 * One submission: how it ended and how long the API took, in one EMF document
 * (one log line) whose two dimension sets give both metrics per `Outcome` and
 * for the whole service. (A `singleMetric()` per outcome cost a Metrics
 * instance and a second log line on every request.) Called once per
 * invocation: the sets apply to every metric of the flush.
 */
export function recordSubmission(m: Metrics, outcome: SubmissionOutcome, latencyMs: number): void {
  m.addDimensions({ Outcome: outcome });
  m.addDimensions({}); // the service-wide set: just the default dimension
  m.addMetric('Submissions', MetricUnit.Count, 1);
  m.addMetric('SubmitLatency', MetricUnit.Milliseconds, latencyMs);
}

export function outcomeOf(statusCode: number): SubmissionOutcome {
  if (statusCode === 401) return 'unauthorized';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode === 503) return 'unavailable';
  if (statusCode >= 400 && statusCode < 500) return 'invalid';
  return 'error';
}
