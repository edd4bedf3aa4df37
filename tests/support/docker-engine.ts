/**
 * Restarts this machine's Docker engine for the fault tests: through systemd
 * where it runs the engine, otherwise the way scripts/setup.sh starts it
 * (dockerd in the background, logging to /var/log/runplane-dockerd.log).
 * Waits until the engine answers again.
 */
import { execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import Docker from 'dockerode';
import { until } from './until.ts';

const docker = new Docker();

function systemdRunsDocker(): boolean {
  try {
    return execFileSync('systemctl', ['is-active', 'docker'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() === 'active';
  } catch {
    return false;
  }
}

function dockerdPid(): number | undefined {
  try {
    return Number(execFileSync('pgrep', ['-x', 'dockerd'], { encoding: 'utf8' }).trim().split('\n')[0]);
  } catch {
    return undefined;
  }
}

const answers = () => docker.ping().then(() => true, () => undefined);
const stopped = async () => (dockerdPid() === undefined ? true : undefined);

/** Stops the engine (its containers stop with it), then starts it again. */
export async function restartDockerEngine(): Promise<void> {
  if (systemdRunsDocker()) {
    execFileSync('systemctl', ['restart', 'docker']);
  } else {
    const pid = dockerdPid();
    if (!pid) throw new Error('no dockerd process to restart (start it with scripts/setup.sh)');
    process.kill(pid, 'SIGTERM');
    await until(stopped, 'dockerd to stop', 60_000);
    const log = openSync('/var/log/runplane-dockerd.log', 'a');
    spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).unref();
  }
  await until(answers, 'the Docker engine to answer again', 60_000);
}
