/**
 * The worker's sandbox path alone, as the agent runs it (the benchmarks' "worker" rows): a warm pool
 * with one container per concurrent job, each job handed to the executor, which runs it in fresh
 * namespaces inside a pooled container. `once()` runs Python `print(1)` and checks its output.
 */
import Docker from 'dockerode';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { createLogger } from '../core/logger.ts';
import { poolExecutor } from '../worker/sandbox-host/executor.ts';
import { WarmPool } from '../worker/sandbox-host/warm-pool.ts';

export const BENCH_SOURCE = 'print(1)';

export function checkOutput(stdout: string): void {
  if (stdout.trim() !== '1') throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
}

export interface WorkerPath {
  once(): Promise<void>;
  close(): Promise<void>;
}

/** Ready when every container of the pool is (or after 60 s: the cell then measures the misses too). */
export async function workerPath(image: string, runtime: 'runc' | 'runsc', concurrency: number): Promise<WorkerPath> {
  const tier = runtime === 'runsc' ? 'gvisor' : 'standard';
  const logger = createLogger('bench', 'silent');
  const spec = { image, workerId: `bench-${process.pid}`, runtime, memoryMb: DEFAULT_LIMITS.memoryMb, pidsLimit: DEFAULT_LIMITS.processes, cpus: 1, workDirMb: 64 };
  const pool = new WarmPool(new Docker(), spec, concurrency, logger);
  await pool.start();
  const execute = poolExecutor({ [tier]: pool });
  const deadline = Date.now() + 60_000;
  while (pool.size.ready < concurrency && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return {
    async once() {
      const result = await execute({ input: { language: 'python', source: BENCH_SOURCE, stdin: '', args: [], files: [] }, limits: DEFAULT_LIMITS, isolation: tier, tenantId: 'bench-tenant', aiEnabled: false, log: logger });
      checkOutput(result.stdout);
    },
    close: () => pool.close(),
  };
}
