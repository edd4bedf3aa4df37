/**
 * Control-plane metrics in CloudWatch embedded metric format (Powertools
 * Metrics): printed as structured log lines that CloudWatch turns into
 * metrics, so a Lambda needs no metrics API calls or permissions. Locally
 * they land in the API's log.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics({ namespace: 'Runplane', serviceName: 'runplane-api' });

export type SubmissionOutcome = 'accepted' | 'replayed' | 'invalid' | 'rate_limited' | 'unavailable' | 'unauthorized' | 'error';

/** One submission: how it ended (dimension `Outcome`) and how long the API took. */
export function recordSubmission(m: Metrics, outcome: SubmissionOutcome, latencyMs: number): void {
  const single = m.singleMetric();
  single.addDimension('Outcome', outcome);
  single.addMetric('Submissions', MetricUnit.Count, 1);
  m.addMetric('SubmitLatency', MetricUnit.Milliseconds, latencyMs);
}

export function outcomeOf(statusCode: number): SubmissionOutcome {
  if (statusCode === 401) return 'unauthorized';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode === 503) return 'unavailable';
  if (statusCode >= 400 && statusCode < 500) return 'invalid';
  return 'error';
}
