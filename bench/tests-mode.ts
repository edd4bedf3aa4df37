/**
 * `node --import tsx bench/tests-mode.ts [N]`: what one compile for many test
 * cases saves. For each language, the same N inputs run as N separate jobs
 * (the baseline, measured in the same run: each compiles again) and as one
 * job with N `tests`, on one warm runc container, through the worker's own
 * executor. Prints the median of 3 rounds and the ratio to the baseline.
 */
import Docker from 'dockerode';
import type { JobInput } from '../core/contract.ts';
import { DEFAULT_LIMITS } from '../core/limits.ts';
import { createLogger } from '../core/logger.ts';
import { sandboxImageTag } from '../local/sandbox-image.ts';
import { poolExecutor } from '../worker/sandbox-host/executor.ts';
import { WarmPool } from '../worker/sandbox-host/warm-pool.ts';

const N = Number(process.argv[2] ?? 20);
const ROUNDS = 3;
const PROGRAMS: { language: JobInput['language']; source: string }[] = [
  { language: 'cpp', source: '#include <iostream>\nint main(){long a;std::cin>>a;std::cout<<a*a<<"\\n";}' },
  { language: 'c', source: '#include <stdio.h>\nint main(void){long a;scanf("%ld",&a);printf("%ld\\n",a*a);return 0;}' },
  { language: 'typescript', source: "const n: number = Number(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n * n);" },
  { language: 'python', source: 'a = int(input())\nprint(a * a)' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const pool = new WarmPool(new Docker(), { image: process.env.SANDBOX_IMAGE ?? sandboxImageTag(), workerId: `bench-tests-${process.pid}`, runtime: 'runc', memoryMb: DEFAULT_LIMITS.memoryMb, pidsLimit: DEFAULT_LIMITS.processes, cpus: 1, workDirMb: 64 }, 1, createLogger('bench', 'silent'));
  await pool.start();
  const execute = poolExecutor({ standard: pool });
  const log = createLogger('bench', 'silent');
  const job = (input: Partial<JobInput> & Pick<JobInput, 'language'>) =>
    execute({ input: { stdin: '', args: [], files: [], ...input }, limits: DEFAULT_LIMITS, isolation: 'standard', tenantId: 'bench', aiEnabled: false, log });
  const timed = async (fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const rows: string[] = [];
  try {
    for (const { language, source } of PROGRAMS) {
      const inputs = Array.from({ length: N }, (_, i) => ({ stdin: `${i}`, expectedOutput: `${i * i}` }));
      const separate: number[] = [];
      const together: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        separate.push(await timed(async () => {
          for (const t of inputs) {
            const r = await job({ language, source, stdin: t.stdin, expectedOutput: t.expectedOutput });
            if (r.verdict !== 'ok') throw new Error(`${language} separate: ${r.verdict}`);
          }
        }));
        together.push(await timed(async () => {
          const r = await job({ language, source, tests: inputs });
          if (r.verdict !== 'ok') throw new Error(`${language} tests: ${r.verdict}`);
        }));
      }
      const [s, t] = [median(separate), median(together)];
      rows.push(`| ${language} | ${N} | ${s.toFixed(0)} | ${t.toFixed(0)} | ${(t / s).toFixed(2)}× | ${(s / N).toFixed(1)} | ${(t / N).toFixed(1)} |`);
    }
  } finally {
    await pool.close();
  }
  process.stdout.write([
    `N inputs as N jobs (baseline) and as one job with N tests, one warm runc container, median of ${ROUNDS} rounds`,
    '',
    '| language | N | N jobs, ms | 1 job with tests, ms | ratio | per input, N jobs | per input, tests |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'));
}

await main();
