/**
 * A throwaway `redis-server` (Debian package) on a free port, without persistence.
 * It runs in its own process group, so a terminal's Ctrl-C does not take it
 * down before the processes that still use it, and (Linux, via setpriv) gets
 * SIGTERM from the kernel if the process that started it dies without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, waitForPort } from './ports.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** redis-server's own pid (setpriv, when used, execs it). */
  pid: number;
  stop(): Promise<void>;
}

const SETPRIV = '/usr/bin/setpriv';

export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const args = ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
  const [command, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', 'redis-server', ...args]] : ['redis-server', args];
  const cannot = (why: string) => new Error(`redis-server could not be started (apt-get install redis-server): ${why}`);
  let child: ChildProcess;
  try {
    child = spawn(command, argv, { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    throw cannot((error as Error).message);
  }
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(cannot(err.message)));
    // setpriv exits with 127 when it cannot exec redis-server.
    child.once('exit', (code) => reject(cannot(`exited with ${code}`)));
  });
  failed.catch(() => undefined);
  await Promise.race([waitForPort(chosen, 10_000), failed]);
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
