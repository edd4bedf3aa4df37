/**
 * `node --import tsx bench/languages.ts`: what each language costs through the
 * worker's sandbox path (warm pool, fresh namespaces per job, standard tier),
 * against Python `print(1)` on the same path in the same run:
 *   - hello with stdin per language: p50 wall of the whole job, and of its
 *     compile and run stages (BENCH_LANG_RUNS runs each, after one warm-up);
 *   - Python start-up with `import numpy`, `pandas`, `scipy`;
 *   - memory of an idle warm container per image (the cgroup's usage without
 *     its page cache), base and each toolchain image.
 * Prints markdown tables. Machines are shared and noisy: read the ratios.
 */
import Docker from 'dockerode';
import type { JobInput, JobResult } from '../core/contract.ts';
import { LANGUAGE_IDS, LANGUAGES, TOOLCHAINS, type LanguageId } from '../core/languages.ts';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { createLogger } from '../core/logger.ts';
import { sandboxImageTag } from '../local/sandbox-image.ts';
import { PROGRAMS } from '../tests/fixtures/languages/programs.ts';
import { poolExecutor } from '../worker/sandbox-host/executor.ts';
import { ToolchainPools, toolchainImage } from '../worker/sandbox-host/toolchain-pools.ts';
import { WarmPool } from '../worker/sandbox-host/warm-pool.ts';
import { percentile } from './stats.ts';

const IMAGE = process.env.SANDBOX_IMAGE ?? sandboxImageTag();
const RUNS = Number(process.env.BENCH_LANG_RUNS ?? 5);
const docker = new Docker();
const logger = createLogger('bench-languages', 'silent');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const spec = { image: IMAGE, workerId: `bench-langs-${process.pid}`, runtime: 'runc' as const, memoryMb: DEFAULT_LIMITS.memoryMb, pidsLimit: DEFAULT_LIMITS.processes, cpus: 1, workDirMb: 64 };
const pool = new WarmPool(docker, spec, 1, logger);
const toolchains = new ToolchainPools(docker, () => ({ standard: spec }), logger, { warmSize: 1, idleMs: 3_600_000 });
const execute = poolExecutor({ standard: pool }, undefined, toolchains);

async function job(input: Partial<JobInput> & Pick<JobInput, 'language'>): Promise<{ wallMs: number; result: JobResult }> {
  const started = performance.now();
  const result = await execute({ input: { stdin: '', args: [], files: [], ...input }, limits: { ...DEFAULT_LIMITS, wallTimeMs: 20_000, cpuTimeMs: 20_000 }, isolation: 'standard', tenantId: 'bench', aiEnabled: false, log: logger });
  return { wallMs: performance.now() - started, result };
}

const p50 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

/** p50s of `RUNS` runs after a warm-up that is not counted (the first job of a toolchain opens its pool). */
async function measure(input: Partial<JobInput> & Pick<JobInput, 'language'>) {
  const first = await job(input);
  if (first.result.verdict !== 'ok') throw new Error(`${input.language}: ${first.result.verdict} ${first.result.stderr}${first.result.compile?.stderr ?? ''}`);
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await job(input));
  return {
    wall: p50(runs.map((r) => r.wallMs)),
    compile: p50(runs.map((r) => r.result.compile?.timeMs ?? 0)),
    run: p50(runs.map((r) => r.result.timeMs)),
    memoryKb: p50(runs.map((r) => r.result.memoryKb)),
  };
}

/** Resident memory of a container's cgroup without its page cache (what an idle container costs the host). */
async function idleMemoryMb(image: string): Promise<number> {
  const workerId = `bench-idle-${process.pid}`;
  const probe = new WarmPool(docker, { ...spec, image, workerId }, 1, logger);
  await probe.start();
  while (probe.size.ready < 1) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000)); // settled: the supervisor and the next job's namespaces made
  const [info] = await docker.listContainers({ filters: { label: [`io.runplane.worker=${workerId}`] } });
  const stats = (await docker.getContainer(info!.Id).stats({ stream: false })) as { memory_stats: { usage: number; stats: Record<string, number> } };
  await probe.close();
  const cache = stats.memory_stats.stats.total_inactive_file ?? stats.memory_stats.stats.inactive_file ?? stats.memory_stats.stats.cache ?? 0;
  return (stats.memory_stats.usage - cache) / 1024 / 1024;
}

async function main() {
  await pool.start();
  const baseline = await measure({ language: 'python', source: 'print(1)' });
  log(`baseline python print(1): ${baseline.wall.toFixed(0)} ms`);
  const rows: string[] = [];
  for (const id of (process.env.BENCH_LANGS?.split(',') as LanguageId[] | undefined) ?? LANGUAGE_IDS) {
    const m = await measure({ language: id, source: PROGRAMS[id].hello, stdin: 'bench\n' });
    log(`${id}: ${m.wall.toFixed(0)} ms`);
    rows.push(`| ${id} | ${LANGUAGES[id].toolchain ?? 'base'} | ${m.wall.toFixed(0)} | ${(m.wall / baseline.wall).toFixed(1)}× | ${LANGUAGES[id].compile ? m.compile.toFixed(0) : '–'} | ${m.run.toFixed(0)} | ${(m.memoryKb / 1024).toFixed(0)} |`);
  }
  const imports: string[] = [];
  const bare = await measure({ language: 'python', source: 'pass' });
  for (const module of ['numpy', 'pandas', 'scipy.stats']) {
    const m = await measure({ language: 'python', source: `import ${module}` });
    imports.push(`| \`import ${module}\` | ${m.run.toFixed(0)} | +${(m.run - bare.run).toFixed(0)} | ${(m.memoryKb / 1024).toFixed(0)} |`);
  }
  const memory: string[] = [];
  for (const image of [IMAGE, ...TOOLCHAINS.map((t) => toolchainImage(IMAGE, t))]) {
    const present = await docker.getImage(image).inspect().then(() => true, () => false);
    if (present) memory.push(`| ${image} | ${(await idleMemoryMb(image)).toFixed(1)} |`);
  }
  await toolchains.close();
  await pool.close();
  console.log(`Python \`print(1)\` through the same path, same run: ${baseline.wall.toFixed(0)} ms p50 (${RUNS} runs after a warm-up, standard tier).\n`);
  console.log('| language | image | job p50 ms | × print(1) | compile p50 ms | run p50 ms | run peak MB |\n|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(`\nPython start-up (run stage p50; \`pass\` alone: ${bare.run.toFixed(0)} ms):\n`);
  console.log('| program | run p50 ms | over `pass` | peak MB |\n|---|---|---|---|');
  console.log(imports.join('\n'));
  console.log('\nAn idle warm container (supervisor and the next job\'s namespaces ready), memory without page cache:\n');
  console.log('| image | MB |\n|---|---|');
  console.log(memory.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
