/** A throwaway `redis-server` (Debian package) on a free port, without persistence. */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './ports.ts';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch (error) {
    throw new Error(`redis-server could not be started (apt-get install redis-server): ${(error as Error).message}`);
  }
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`redis-server could not be started (apt-get install redis-server): ${err.message}`))),
  );
  await Promise.race([waitForPort(chosen, 10_000), spawnError]);
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
