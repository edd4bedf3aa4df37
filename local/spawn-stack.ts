/** Starts the local stack (local/stack.ts) as a child process on free ports (benchmark, e2e tests), and stops it. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './ports.ts';
import { descendants } from './process-tree.ts';

export interface RunningStack {
  http: string;
  ws: string;
  key: string;
  /** Redis URL and DynamoDB endpoint of the stack (from its start-up line). */
  redisUrl: string;
  dynamodbEndpoint: string;
  /** The stack process (local/stack.ts). */
  pid: number;
  /** Everything the stack printed so far. */
  output(): string;
  /** Freezes the stack's worker agents (SIGSTOP): jobs stay queued until resumeWorkers(). */
  pauseWorkers(): void;
  resumeWorkers(): void;
  /** Ctrl-C: SIGINT to the stack; resolves when it has exited. */
  stop(): Promise<void>;
}

export async function startStack(root: string, env: Record<string, string>): Promise<RunningStack> {
  const [httpPort, wsPort] = [await freePort(), await freePort()];
  const key = `rp_bench_${Date.now()}_0123456789`;
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'local/stack.ts')], {
    cwd: root,
    env: { ...process.env, ...env, HTTP_PORT: String(httpPort), WS_PORT: String(wsPort), RUNPLANE_API_KEY: key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (/^ready: /m.test(output)) ready();
    });
    void exited.then(() => fail(new Error(`stack exited with ${child.exitCode ?? child.signalCode}:\n${output}`)));
  });
  const workers = () => descendants(child.pid!).filter((p) => p.ppid === child.pid && p.cmdline.includes('worker/main.ts'));
  const signalWorkers = (signal: NodeJS.Signals) => {
    const found = workers();
    if (found.length === 0) throw new Error('the stack has no worker process');
    for (const p of found) process.kill(p.pid, signal);
  };
  return {
    http: `http://127.0.0.1:${httpPort}`,
    ws: `ws://127.0.0.1:${wsPort}`,
    key,
    redisUrl: /\[stack\] redis (redis:\/\/\S+),/.exec(output)?.[1] ?? '',
    dynamodbEndpoint: /dynamodb (http:\/\/\S+)/.exec(output)?.[1] ?? '',
    pid: child.pid!,
    output: () => output,
    pauseWorkers: () => signalWorkers('SIGSTOP'),
    resumeWorkers: () => signalWorkers('SIGCONT'),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
