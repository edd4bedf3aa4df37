/** Starts the local stack (local/stack.ts) as a child process on free ports (benchmark, e2e tests), and stops it. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from './ports.ts';

export interface RunningStack {
  http: string;
  ws: string;
  key: string;
  /** Redis URL and DynamoDB endpoint of the stack (from its start-up line). */
  redisUrl: string;
  dynamodbEndpoint: string;
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
  const redisUrl = /\[stack\] redis (redis:\/\/\S+),/.exec(output)?.[1] ?? '';
  return {
    http: `http://127.0.0.1:${httpPort}`,
    ws: `ws://127.0.0.1:${wsPort}`,
    key,
    redisUrl,
    dynamodbEndpoint: /dynamodb (http:\/\/\S+)/.exec(output)?.[1] ?? '',
    stop: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.kill('SIGINT');
      }),
  };
}
