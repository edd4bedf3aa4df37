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
  it('emits one document: the submission and its latency, each by outcome and for the whole service', () => {
    const m = new Metrics({ namespace: 'RunplaneTest', serviceName: 'api' });
    const docs = captureEmf(() => {
      recordSubmission(m, 'rate_limited', 12);
      m.publishStoredMetrics();
    });

    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc).toMatchObject({ Outcome: 'rate_limited', service: 'api', Submissions: 1, SubmitLatency: 12 });
    expect(doc!._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'RunplaneTest',
        Dimensions: [['service', 'Outcome'], ['service']],
        Metrics: [{ Name: 'Submissions', Unit: 'Count' }, { Name: 'SubmitLatency', Unit: 'Milliseconds' }],
      },
    ]);
  });

  it('starts every invocation afresh: the next flush carries only its own outcome', () => {
    const m = new Metrics({ namespace: 'RunplaneTest', serviceName: 'api' });
    const docs = captureEmf(() => {
      recordSubmission(m, 'rate_limited', 12);
      m.publishStoredMetrics();
      recordSubmission(m, 'accepted', 7);
      m.publishStoredMetrics();
    });

    expect(docs).toHaveLength(2);
    expect(docs[1]).toMatchObject({ Outcome: 'accepted', Submissions: 1, SubmitLatency: 7 });
    expect(docs[1]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'Outcome'], ['service']]);
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
