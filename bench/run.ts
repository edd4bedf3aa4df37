/**
 * `npm run bench`: Python `print(1)` through every layer, side by side in one
 * run on this machine, at concurrency 1, 4 and 16:
 *   bare        python3 -c on the host (the floor)
 *   docker-run  `docker run --rm` per job (what a naive service does)
 *   worker      the worker's sandbox path alone: warm pool + supervisor, one job per container
 *   worker-reuse  the same with opt-in reuse (a container serves up to 100 jobs of one tenant)
 *   worker-gvisor, worker-gvisor-reuse  the same two in the gVisor tier (runsc)
 *   http        the whole local stack: POST /run, then GET /jobs/{id} every 10 ms
 *   http-reuse  the same with the worker in reuse mode
 * Prints p50, p99, jobs/s and the ratios; writes docs/benchmarks.{json,md}.
 * Machines are shared and noisy: compare the ratios, not the absolute times.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { createLogger } from '../core/logger.ts';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { poolExecutor } from '../worker/sandbox/executor.ts';
import { WarmPool } from '../worker/sandbox/warm-pool.ts';
import { drive, type CellResult } from './stats.ts';
import { startStack } from '../local/spawn-stack.ts';
import { renderMarkdown, renderTable } from './report.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const IMAGE = process.env.SANDBOX_IMAGE ?? 'runplane-sandbox:latest';
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,4,16').split(',').map(Number);
const JOBS = Number(process.env.BENCH_JOBS ?? 64);
const MODES = (process.env.BENCH_MODES ?? 'bare,docker-run,worker,worker-reuse,worker-gvisor,worker-gvisor-reuse,http,http-reuse').split(',');
// Debian's interpreter, not a version-manager shim (pyenv's adds ~80 ms of bash per call).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SOURCE = 'print(1)';
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function checkOutput(stdout: string) {
  if (stdout.trim() !== '1') throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
}

async function benchBare(c: number) {
  return drive('bare', c, JOBS, async () => checkOutput((await run(PYTHON, ['-c', SOURCE])).stdout));
}

async function benchDockerRun(c: number) {
  const jobs = Math.min(JOBS, 24);
  return drive('docker-run', c, jobs, async () =>
    checkOutput((await run('docker', ['run', '--rm', '--network', 'none', '--read-only', '--user', '1000:1000', IMAGE, 'python3', '-c', SOURCE])).stdout),
  );
}

async function benchWorker(c: number, reuseJobs = 0, runtime: 'runc' | 'runsc' = 'runc') {
  const size = Math.max(4, c * 2);
  const tier = runtime === 'runsc' ? 'gvisor' : 'standard';
  const spec = { image: IMAGE, workerId: `bench-${process.pid}`, runtime, memoryMb: DEFAULT_LIMITS.memoryMb, pidsLimit: DEFAULT_LIMITS.processes, cpus: 1, workDirMb: 64 };
  const pool = new WarmPool(new Docker(), spec, size, createLogger('bench', 'silent'), { reuseJobs });
  await pool.start();
  const execute = poolExecutor({ [tier]: pool });
  const logger = createLogger('bench', 'silent');
  const once = async () => {
    const result = await execute({ language: 'python', source: SOURCE, stdin: '', args: [], files: [] }, DEFAULT_LIMITS, tier, logger, 'bench-tenant');
    await checkOutput(result.stdout);
  };
  await until(() => pool.size.ready >= Math.max(4, c * 2), 60_000);
  await drive('warm-up', Math.min(c, 4), 4, once);
  await until(() => pool.size.ready >= Math.max(4, c * 2), 60_000);
  try {
    const name = `worker${runtime === 'runsc' ? '-gvisor' : ''}${reuseJobs > 0 ? '-reuse' : ''}`;
    return await drive(name, c, JOBS, once);
  } finally {
    await pool.close();
  }
}

async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function benchHttp(concurrencies: number[], reuseJobs: number): Promise<CellResult[]> {
  const mode = reuseJobs > 0 ? 'http-reuse' : 'http';
  const stack = await startStack(ROOT, { WORKER_CONCURRENCY: '16', POOL_SIZE: '16', GVISOR_POOL_SIZE: '0', POOL_REUSE_JOBS: String(reuseJobs), LOG_LEVEL: 'warn' });
  const headers = { 'x-api-key': stack.key, 'content-type': 'application/json' };
  const once = async () => {
    const res = await fetch(`${stack.http}/run`, { method: 'POST', headers, body: JSON.stringify({ language: 'python', source: SOURCE }) });
    if (res.status !== 202) throw new Error(`POST /run answered ${res.status}`);
    const { jobId } = (await res.json()) as { jobId: string };
    for (;;) {
      const job = (await (await fetch(`${stack.http}/jobs/${jobId}`, { headers })).json()) as { status: string; result?: { stdout: string } };
      if (job.status === 'completed') return checkOutput(job.result!.stdout);
      if (job.status === 'failed') throw new Error('job failed');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    const cells: CellResult[] = [];
    for (const c of concurrencies) {
      // serverless-offline, like Lambda, starts one execution environment per concurrent request: warm them first.
      await drive('warm-up', c, c * 2, once);
      cells.push(await drive(mode, c, JOBS, once));
      log(`${mode} c=${c} done`);
    }
    return cells;
  } finally {
    await stack.stop();
  }
}

async function main() {
  const cells: CellResult[] = [];
  for (const mode of MODES) {
    if (mode === 'http' || mode === 'http-reuse') {
      cells.push(...(await benchHttp(CONCURRENCY, mode === 'http' ? 0 : 100)));
      continue;
    }
    for (const c of CONCURRENCY) {
      const bench = { bare: benchBare, 'docker-run': benchDockerRun, worker: benchWorker, 'worker-reuse': (n: number) => benchWorker(n, 100),
        'worker-gvisor': (n: number) => benchWorker(n, 0, 'runsc'),
        'worker-gvisor-reuse': (n: number) => benchWorker(n, 100, 'runsc'),
      }[mode];
      if (!bench) throw new Error(`unknown mode ${mode}`);
      cells.push(await bench(c));
      log(`${mode} c=${c} done`);
    }
  }
  const meta = { date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, node: process.version, jobsPerCell: JOBS, program: `python: ${SOURCE}` };
  process.stdout.write(renderTable(cells));
  writeFileSync(resolve(ROOT, 'docs/benchmarks.json'), `${JSON.stringify({ meta, cells }, null, 2)}\n`);
  writeFileSync(resolve(ROOT, 'docs/benchmarks.md'), renderMarkdown(cells, meta));
  log('wrote docs/benchmarks.md and docs/benchmarks.json');
}

await main();
