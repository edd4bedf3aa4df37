/**
 * The worker's side of the supervisor protocol, fed by a stand-in supervisor
 * over an in-memory stream: large replies in small chunks cost linear work,
 * oversized lines and replies to another request are refused.
 */
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ReplyLines, ReplyTooLargeError } from '../../worker/sandbox-host/reply-lines.ts';
import { SupervisorSession, type StageRequest } from '../../worker/sandbox-host/supervisor-session.ts';

const STAGE: StageRequest = { name: 'run', cmd: ['true'], wallTimeMs: 1000, cpuTimeMs: 1000, outputBytes: 1 << 20, fileSizeBytes: 1 << 20, openFiles: 16 };

/** A supervisor that answers each request with `answer(id)`, written in chunks of `chunkBytes`. */
function fakeSupervisor(answer: (id: string) => object, chunkBytes: number) {
  const stream: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      const { id } = JSON.parse(chunk.toString('utf8')) as { id: string };
      const reply = Buffer.from(`${JSON.stringify(answer(id))}\n`);
      for (let at = 0; at < reply.length; at += chunkBytes) stream.push(reply.subarray(at, at + chunkBytes));
      done();
    },
  });
  return SupervisorSession.overStream(stream);
}

const stageAnswer = (stdout: Buffer) => ({ name: 'run', exitCode: 0, signal: null, timeMs: 1, cpuTimeMs: 1, memoryKb: 1, stdout: stdout.toString('base64'), stderr: '', timedOut: false, cpuExceeded: false, outputExceeded: false, oomKilled: false });

async function timeOneReply(stdout: Buffer, chunkBytes: number): Promise<number> {
  const session = fakeSupervisor((id) => ({ id, stages: [stageAnswer(stdout)] }), chunkBytes);
  const started = performance.now();
  const [outcome] = await session.run([], [STAGE]);
  const elapsed = performance.now() - started;
  expect(outcome!.stdout.length).toBe(stdout.toString('utf8').length);
  return elapsed;
}

describe('the supervisor session', () => {
  it('reads a 4 MB reply in 1 KiB chunks with work linear in its size', async () => {
    const stdout = Buffer.from(randomBytes(2_250_000).toString('hex').slice(0, 3_000_000)); // ~4 MB once base64
    const best = async (chunkBytes: number) => Math.min(...[await timeOneReply(stdout, chunkBytes), await timeOneReply(stdout, chunkBytes), await timeOneReply(stdout, chunkBytes)]);
    const oneChunk = await best(1 << 30);
    const manyChunks = await best(1024);
    // Re-reading the buffered text for every chunk made this ~100x the one-chunk cost.
    expect(manyChunks).toBeLessThan(10 * oneChunk);
  });

  it('rejects a reply that answers another request', async () => {
    const session = fakeSupervisor(() => ({ id: 'not-yours', stages: [stageAnswer(Buffer.from('hijacked'))] }), 1 << 16);
    await expect(session.run([], [STAGE])).rejects.toThrow(/another request/);
    expect(session.alive).toBe(false);
  });

  it('fails the job, not the agent, when a reply is larger than the cap', async () => {
    const session = fakeSupervisor((id) => ({ id, padding: 'x'.repeat(SupervisorSession.MAX_REPLY_BYTES) }), 1 << 16);
    await expect(session.run([], [STAGE])).rejects.toBeInstanceOf(ReplyTooLargeError);
    expect(session.alive).toBe(false);
  });
});

describe('reply lines', () => {
  it('searches each byte once however the line is chunked', () => {
    const lines = new ReplyLines(1 << 20);
    const line = Buffer.from(`${'a'.repeat(100_000)}\n`);
    const out: Buffer[] = [];
    for (let at = 0; at < line.length; at += 7) out.push(...lines.push(line.subarray(at, at + 7)));
    expect(out.map(String)).toEqual(['a'.repeat(100_000)]);
    expect(lines.scannedBytes).toBe(line.length);
  });

  it('returns every line of a chunk and keeps the unfinished tail, split characters included', () => {
    const lines = new ReplyLines(1 << 20);
    const euro = Buffer.from('€');
    expect(lines.push(Buffer.concat([Buffer.from('one\ntwo\nth'), euro.subarray(0, 1)])).map(String)).toEqual(['one', 'two']);
    expect(lines.push(Buffer.concat([euro.subarray(1), Buffer.from('ree\n')])).map(String)).toEqual(['th€ree']);
  });

  it('refuses a line over its cap before it has all of it', () => {
    const lines = new ReplyLines(10);
    lines.push(Buffer.from('12345'));
    expect(() => lines.push(Buffer.from('678901'))).toThrow(ReplyTooLargeError);
  });
});
