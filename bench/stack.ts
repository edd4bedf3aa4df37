/** Starts the local stack (local/stack.ts) on free ports for the benchmark, and stops it. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../local/ports.ts';

export interface RunningStack {
  http: string;
  key: string;
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
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (/^ready: /m.test(output)) ready();
    });
    child.once('exit', (code) => fail(new Error(`stack exited with ${code}:\n${output}`)));
  });
  return {
    http: `http://127.0.0.1:${httpPort}`,
    key,
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGINT');
      }),
  };
}
