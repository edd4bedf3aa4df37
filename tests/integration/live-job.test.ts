/**
 * The worker's half of live jobs (worker/live-job.ts) on a real Redis: plain
 * jobs get no machinery at all; output becomes numbered events, published in
 * order and logged for late subscribers, with characters split between chunks
 * kept whole; an interactive job's controls, written the way the socket Lambda
 * writes them, reach the sandbox in order, and the job's end refuses more.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobIO } from '../../core/adapters/job-io.ts';
import { redisKeys } from '../../core/adapters/redis-keys.ts';
import type { StdinControl } from '../../worker/sandbox-host/live-io.ts';
import { liveJob, type LiveJobDeps } from '../../worker/live-job.ts';
import { testServices, type TestServices } from '../support/services.ts';

let s: TestServices;
let deps: LiveJobDeps;
let n = 0;
beforeAll(async () => {
  s = await testServices();
  deps = { io: new JobIO(s.redis), openBlocking: () => s.redis.duplicate(), log: s.logger };
});
afterAll(() => s.close());

const newJobId = () => `live-job-${process.pid}-${++n}`;

describe('the live side of a job on the worker', () => {
  it('is absent for a plain job, which so costs no Redis round trip', () => {
    expect(liveJob({ jobId: newJobId() }, deps)).toBeUndefined();
    expect(liveJob({ jobId: newJobId(), stream: false, interactive: false }, deps)).toBeUndefined();
  });

  it('publishes numbered output events in order, keeps a split character whole, and logs them for late subscribers', async () => {
    const jobId = newJobId();
    const subscriber: Redis = s.redis.duplicate();
    const published: { seq: number; stream: string; data: string }[] = [];
    subscriber.on('message', (_channel: string, message: string) => published.push(JSON.parse(message)));
    await subscriber.subscribe(redisKeys.jobEvents(jobId));
    const job = liveJob({ jobId, stream: true }, deps)!;
    const euro = Buffer.from('€'); // three bytes, split below
    job.live.onOutput!('stdout', Buffer.concat([Buffer.from('price: '), euro.subarray(0, 1)]));
    job.live.onOutput!('stderr', Buffer.from('warning\n'));
    job.live.onOutput!('stdout', Buffer.concat([euro.subarray(1), Buffer.from('5\n')]));
    await job.finish();
    const deadline = Date.now() + 20_000;
    while (published.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    subscriber.disconnect();

    const expected = [
      { seq: 1, stream: 'stdout', data: 'price: ' },
      { seq: 2, stream: 'stderr', data: 'warning\n' },
      { seq: 3, stream: 'stdout', data: '€5\n' },
    ];
    expect(published).toMatchObject(expected);
    expect(await deps.io.outputSoFar(jobId)).toMatchObject(expected);
  });

  it("hands an interactive job's controls to the sandbox in order, and refuses input once the job ended", async () => {
    const jobId = newJobId();
    const owner = { tenantId: 'acme', connectionId: `conn-${n}` };
    await deps.io.claim(jobId, owner);
    await deps.io.write(jobId, owner, { data: 'early\n' }, 1 << 20); // before the job reaches its sandbox
    const job = liveJob({ jobId, stream: true, interactive: true }, deps)!;
    const received: StdinControl[] = [];
    const stop = job.live.input!((control) => received.push(control));
    await deps.io.write(jobId, owner, { data: 'late\n' }, 1 << 20);
    await deps.io.write(jobId, owner, { eof: true }, 1 << 20);
    const deadline = Date.now() + 20_000;
    while (received.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    await job.finish();

    expect(received).toEqual([{ stdin: Buffer.from('early\n') }, { stdin: Buffer.from('late\n') }, { eof: true }]);
    expect(await deps.io.write(jobId, owner, { kill: true }, 1 << 20)).toBe('finished');
  });

  it("numbers a retried delivery's output after the earlier attempt's", async () => {
    const jobId = newJobId();
    const first = liveJob({ jobId, stream: true }, deps)!;
    first.live.onOutput!('stdout', Buffer.from('partial'));
    await first.finish(false);
    const retry = liveJob({ jobId, stream: true }, deps, await deps.io.outputCount(jobId))!;
    retry.live.onOutput!('stdout', Buffer.from('whole\n'));
    await retry.finish();
    expect((await deps.io.outputCount(jobId))).toBe(2);
    expect((await deps.io.outputSoFar(jobId)).map((e) => [e.seq, e.data])).toEqual([[1, 'partial'], [2, 'whole\n']]);
  });

  it('leaves input open when the delivery will be retried', async () => {
    const jobId = newJobId();
    const owner = { tenantId: 'acme', connectionId: `conn-${n}` };
    await deps.io.claim(jobId, owner);
    await liveJob({ jobId, interactive: true }, deps)!.finish(false);
    expect(await deps.io.write(jobId, owner, { data: 'for the retry\n' }, 1 << 20)).toBe('ok');
  });
});
