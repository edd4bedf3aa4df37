import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { outcomeOf, recordSubmission } from '../../functions/lib/metrics.ts';

/** Captures what Powertools prints: EMF documents, one JSON object per line. */
function captureEmf(run: () => void): Record<string, any>[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  try {
    run();
  } finally {
    write.mockRestore();
    log.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

afterEach(() => vi.restoreAllMocks());

describe('control-plane metrics (CloudWatch embedded metric format)', () => {
  it('emits the submission with its outcome as a dimension, and its latency', () => {
    const m = new Metrics({ namespace: 'RunplaneTest', serviceName: 'api' });
    const docs = captureEmf(() => {
      recordSubmission(m, 'rate_limited', 12);
      m.publishStoredMetrics();
    });

    const submission = docs.find((d) => 'Submissions' in d)!;
    expect(submission.Outcome).toBe('rate_limited');
    expect(submission._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'RunplaneTest', Dimensions: [expect.arrayContaining(['Outcome'])] });
    const latency = docs.find((d) => 'SubmitLatency' in d)!;
    expect(latency.SubmitLatency).toBe(12);
  });

  it.each([
    [401, 'unauthorized'],
    [429, 'rate_limited'],
    [503, 'unavailable'],
    [400, 'invalid'],
    [413, 'invalid'],
    [500, 'error'],
  ])('maps status %i to outcome %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });
});
