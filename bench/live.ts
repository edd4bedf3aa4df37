/**
 * `npm run bench:live`: latency of live output and interactive runs against the
 * whole local stack (serverless-offline, Redis, a worker, a relay), over a real
 * WebSocket, with baselines measured in the same run:
 *   ws-message     a WebSocket message answered by the $default Lambda (`unsubscribe`:
 *                  key check, one Redis write, the answer pushed): the floor of any
 *                  client → platform → client hop
 *   plain-job      a plain `run` of print(1) until job.completed: today's non-live path
 *   write→receipt  a streaming program stamps the time and prints it every 50 ms; the
 *                  client's receipt time minus the stamp (same host clock)
 *   echo-rtt       an interactive program echoes each line; send → echo received, the
 *                  next line sent at once (so at most ~50 lines/s: the output pacing,
 *                  one send per 20 ms after a burst of 4, sets the pace), and with a
 *                  50 ms pause between lines, as a person or a slower peer would
 *   piston-*       the same through Piston's /api/v2/connect protocol (bench/piston-connect.ts)
 * Prints a table (p50, p99, the ratio to the ws-message floor, the issue's goal)
 * and writes docs/live-benchmarks.md. One socket at a time, after a warm-up:
 * serverless-offline starts a worker per concurrent invocation (~30-40 ms each).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startStack } from '../local/spawn-stack.ts';
import { connectSocket, type Socket } from '../tests/support/socket-client.ts';
import { pistonEchoRoundTrips, pistonSessions } from './piston-connect.ts';
import { percentile } from './stats.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = resolve(import.meta.dirname, '..');
const SAMPLES = Number(process.env.BENCH_LIVE_SAMPLES ?? 100);
const ISOLATION = process.env.BENCH_LIVE_ISOLATION ?? 'standard';
const log = (line: string) => process.stderr.write(`[bench:live] ${line}\n`);

interface Row {
  metric: string;
  samples: number[];
  goalMs?: number;
}

async function runJob(socket: Socket, body: object): Promise<string> {
  const accepted = await socket.request({ action: 'run', isolation: ISOLATION, limits: { wallTimeMs: 20_000 }, ...body }, (m) => m.type === 'run.accepted' || m.type === 'error');
  if (accepted.type === 'error') throw new Error(`run refused: ${JSON.stringify(accepted)}`);
  return accepted.jobId as string;
}

const finished = (socket: Socket, jobId: string) => socket.next((m) => m.jobId === jobId && (m.type === 'job.completed' || m.type === 'job.failed'), 60_000);

async function wsMessage(socket: Socket, jobId: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const sent = performance.now();
    await socket.request({ action: 'unsubscribe', jobId }, (m) => m.type === 'unsubscribed');
    samples.push(performance.now() - sent);
  }
  return samples;
}

async function plainJobs(socket: Socket): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < Math.min(SAMPLES, 40); i++) {
    const sent = performance.now();
    await finished(socket, await runJob(socket, { language: 'python', source: 'print(1)' }));
    samples.push(performance.now() - sent);
  }
  return samples;
}

/** Each printed line carries its write time (ms since the epoch); the socket message's arrival gives the receipt. */
async function writeToReceipt(socket: Socket): Promise<number[]> {
  const lines = 100;
  const source = `import time\nfor i in range(${lines}):\n    print("%.3f" % (time.time() * 1000), flush=True)\n    time.sleep(0.05)`;
  const samples: number[] = [];
  for (let jobs = 0; samples.length < SAMPLES; jobs++) {
    if (jobs === 3) throw new Error('streaming jobs produced no output');
    const jobId = await runJob(socket, { language: 'python', source, stream: true });
    await finished(socket, jobId);
    for (const m of socket.messages.filter((x) => x.type === 'job.output' && x.jobId === jobId)) {
      for (const stamp of String(m.data).split('\n').filter(Boolean)) samples.push(m.receivedAt - Number(stamp));
    }
  }
  return samples.slice(0, SAMPLES);
}

async function echoRoundTrips(socket: Socket, pauseMs = 0): Promise<number[]> {
  const source = 'import sys\nfor line in sys.stdin:\n    sys.stdout.write(line)\n    sys.stdout.flush()';
  const samples: number[] = [];
  while (samples.length < SAMPLES) {
    const jobId = await runJob(socket, { language: 'python', source, interactive: true });
    let echoed = '';
    const perJob = Math.min(SAMPLES - samples.length, 100);
    for (let i = 0; i < perJob; i++) {
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      const line = `line ${i}\n`;
      const sent = performance.now();
      await socket.request({ action: 'stdin', jobId, data: line }, (m) => {
        if (m.type !== 'job.output' || m.jobId !== jobId) return false;
        echoed += m.data;
        return echoed.endsWith(line);
      });
      samples.push(performance.now() - sent);
    }
    socket.send({ action: 'stdin', jobId, eof: true });
    await finished(socket, jobId);
  }
  return samples;
}

function table(rows: Row[], floorP50: number): string {
  const header = '| metric | samples | p50 ms | p99 ms | p50 / ws-message | goal p50 |\n|---|---:|---:|---:|---:|---:|';
  const body = rows.map(({ metric, samples, goalMs }) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    return `| ${metric} | ${samples.length} | ${p50.toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${(p50 / floorP50).toFixed(2)}× | ${goalMs ? `≤ ${goalMs} ms` : ''} |`;
  });
  return [header, ...body].join('\n');
}

const stack = await startStack(ROOT, { GVISOR_POOL_SIZE: ISOLATION === 'gvisor' ? '1' : '0', LOG_LEVEL: 'warn' });
try {
  const socket = await connectSocket(stack.ws, stack.key);
  log('warming up');
  const warm = await runJob(socket, { language: 'python', source: 'print(1)' });
  await finished(socket, warm);
  await wsMessage(socket, warm);
  log('ws-message');
  const floor = await wsMessage(socket, warm);
  log('plain-job');
  const plain = await plainJobs(socket);
  log('write→receipt');
  const receipt = await writeToReceipt(socket);
  log('echo-rtt');
  const echo = await echoRoundTrips(socket);
  log('echo-rtt with pauses');
  const echoPaused = await echoRoundTrips(socket, 50);
  socket.ws.close();
  log('piston session');
  const pistonSession = await pistonSessions(stack.ws, stack.key, Math.min(SAMPLES, 40));
  log('piston echo-rtt with pauses');
  const pistonEcho = await pistonEchoRoundTrips(stack.ws, stack.key, SAMPLES, 50);
  const floorP50 = percentile([...floor].sort((a, b) => a - b), 50);
  const rows: Row[] = [
    { metric: 'ws-message (baseline)', samples: floor },
    { metric: 'plain-job print(1) (baseline)', samples: plain },
    { metric: 'write→receipt', samples: receipt, goalMs: 30 },
    { metric: 'echo-rtt, back to back', samples: echo, goalMs: 50 },
    { metric: 'echo-rtt, 50 ms between lines', samples: echoPaused, goalMs: 50 },
    { metric: 'piston /connect print(1): init → exit (vs plain-job)', samples: pistonSession },
    { metric: 'piston /connect echo-rtt, 50 ms between lines', samples: pistonEcho, goalMs: 50 },
  ];
  const rendered = table(rows, floorP50);
  process.stdout.write(`${rendered}\n`);
  const note = `Measured by \`npm run bench:live\` on ${new Date().toISOString().slice(0, 10)} (${ISOLATION} tier, local stack, one socket at a time after a warm-up; machines are shared and noisy: compare within a run).`;
  writeFileSync(resolve(ROOT, 'docs/live-benchmarks.md'), `# Live output and interactive runs: latency\n\n${note}\n\n${rendered}\n`);
} finally {
  await stack.stop();
}
