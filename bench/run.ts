/**
 * `npm run bench`: Python `print(1)` through every layer, side by side in one
 * run on this machine, at concurrency 1, 4 and 16:
 *   bare        python3 -c on the host (the floor)
 *   docker-run  `docker run --rm` per job (what a naive service does)
 *   worker      the worker's sandbox path alone: warm pool + supervisor, each job in fresh
 *               namespaces inside a warm container (the default)
 *   worker-gvisor  the same in the gVisor tier (runsc)
 *   http        the whole local stack with `npm start`'s defaults: POST /run with "wait"
 * Prints p50, p99, jobs/s and the ratios; writes docs/benchmarks.{json,md}.
 * Machines are shared and noisy: compare the ratios, not the absolute times.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { toolchainImage } from '../worker/sandbox-host/toolchain-pools.ts';
import { LANGUAGES, LANGUAGE_IDS } from '../core/languages.ts';
import { drive, type CellResult } from './stats.ts';
import { BENCH_SOURCE, checkOutput, workerPath } from './worker-path.ts';
import { startStack } from '../local/spawn-stack.ts';
import { renderMarkdown, renderTable } from './report.ts';
import { sandboxImageTag } from '../local/sandbox-image.ts';
import { perJob, snapshot } from './process-cpu.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const IMAGE = process.env.SANDBOX_IMAGE ?? sandboxImageTag();
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,4,8').split(',').map(Number);
const JOBS = Number(process.env.BENCH_JOBS ?? 64);
const MODES = (process.env.BENCH_MODES ?? 'bare,docker-run,worker,worker-gvisor,http').split(',');
// Debian's interpreter, not a version-manager shim (pyenv's adds ~80 ms of bash per call).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SOURCE = BENCH_SOURCE;
const HTTP_WARM_UP_JOBS = 128;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function benchBare(c: number) {
  return drive('bare', c, JOBS, async () => checkOutput((await run(PYTHON, ['-c', SOURCE])).stdout));
}

async function benchDockerRun(c: number) {
  const jobs = Math.min(JOBS, 24);
  return drive('docker-run', c, jobs, async () =>
    checkOutput((await run('docker', ['run', '--rm', '--network', 'none', '--read-only', '--user', '1000:1000', IMAGE, 'python3', '-c', SOURCE])).stdout),
  );
}

async function benchWorker(c: number, runtime: 'runc' | 'runsc' = 'runc') {
  const path = await workerPath(IMAGE, runtime, c);
  try {
    await drive('warm-up', c, c * 2, path.once);
    return await drive(runtime === 'runsc' ? 'worker-gvisor' : 'worker', c, JOBS, path.once);
  } finally {
    await path.close();
  }
}

/**
 * The worker reads the toolchain images' language versions after it starts taking jobs,
 * one container per image it has (worker/sandbox-host/versions.ts): measured, those
 * start-ups took the first cell's CPU (c=1 p50 34 ms against 25 ms a minute later).
 * The bench measures the steady state, so it waits until every image on this host has
 * reported, as `GET /languages` shows.
 */
async function startUpDone(http: string, headers: Record<string, string>): Promise<void> {
  const docker = new Docker();
  const present = async (image: string) => docker.getImage(image).inspect().then(() => true, () => false);
  const expected: string[] = [];
  for (const id of LANGUAGE_IDS) {
    const toolchain = LANGUAGES[id].toolchain;
    if (!toolchain || (await present(toolchainImage(IMAGE, toolchain)))) expected.push(id);
  }
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { languages } = (await (await fetch(`${http}/languages`, { headers })).json()) as { languages: { id: string; version: string | null }[] };
    const missing = expected.filter((id) => !languages.find((l) => l.id === id)?.version);
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the worker has not reported the versions of ${missing.join(', ')} in 300 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Per concurrency of the http mode: the stack's CPU per job, by process. */
const cpuPerJob = new Map<number, [string, number][]>();

/** The whole local stack as `npm start` runs it (its defaults), driven by clients that wait for the result. */
async function benchHttp(concurrencies: number[]): Promise<CellResult[]> {
  const stack = await startStack(ROOT, { LOG_LEVEL: 'warn' });
  const headers = { 'x-api-key': stack.key, 'content-type': 'application/json' };
  await startUpDone(stack.http, headers);
  const once = async () => {
    const res = await fetch(`${stack.http}/run`, { method: 'POST', headers, body: JSON.stringify({ language: 'python', source: SOURCE, wait: 20 }) });
    if (res.status !== 200) throw new Error(`POST /run answered ${res.status}`);
    const job = (await res.json()) as { status: string; result?: { stdout: string } };
    if (job.status !== 'completed') throw new Error(`job ${job.status}`);
    return checkOutput(job.result!.stdout);
  };
  try {
    const cells: CellResult[] = [];
    for (const c of concurrencies) {
      // serverless-offline, like Lambda, starts one execution environment per concurrent request: warm them
      // first, and the processes' JIT with them: measured at c=1 right after start, p50 of jobs 1-64 43 ms,
      // 65-128 37 ms, 257-320 34 ms. A service runs warm; the bench measures that.
      await drive('warm-up', c, Math.max(c * 2, HTTP_WARM_UP_JOBS), once);
      const before = snapshot(stack.pid);
      cells.push(await drive('http', c, JOBS, once));
      cpuPerJob.set(c, perJob(before, snapshot(stack.pid), JOBS));
      log(`http c=${c} done`);
    }
    return cells;
  } finally {
    await stack.stop();
  }
}

async function main() {
  const cells: CellResult[] = [];
  for (const mode of MODES) {
    if (mode === 'http') {
      cells.push(...(await benchHttp(CONCURRENCY)));
      continue;
    }
    for (const c of CONCURRENCY) {
      const bench = { bare: benchBare, 'docker-run': benchDockerRun, worker: (n: number) => benchWorker(n), 'worker-gvisor': (n: number) => benchWorker(n, 'runsc') }[mode];
      if (!bench) throw new Error(`unknown mode ${mode}`);
      cells.push(await bench(c));
      log(`${mode} c=${c} done`);
    }
  }
  const meta = { date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, node: process.version, jobsPerCell: JOBS, program: `python: ${SOURCE}` };
  const cpu = Object.fromEntries(cpuPerJob);
  process.stdout.write(renderTable(cells, cpu));
  writeFileSync(resolve(ROOT, 'docs/benchmarks.json'), `${JSON.stringify({ meta, cells, controlPlaneCpuMsPerJob: cpu }, null, 2)}\n`);
  writeFileSync(resolve(ROOT, 'docs/benchmarks.md'), renderMarkdown(cells, meta, cpu));
  log('wrote docs/benchmarks.md and docs/benchmarks.json');
}

await main();
