/**
 * Node child processes of the local stack. Each runs in its own process group
 * (so a terminal's Ctrl-C reaches only the stack, which stops its children in
 * order: workers still need Redis while they drain), logs straight into its
 * file (no pipe through the stack that could break when the stack dies), and
 * gets an IPC channel watched by exit-with-parent.mjs, so it also goes away
 * when the stack is SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

const EXIT_WITH_PARENT = join(import.meta.dirname, 'exit-with-parent.mjs');

export interface Managed {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** True once stop() had to escalate to SIGKILL. */
  readonly sigkilled: boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; then SIGKILL to whatever is left of the group. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProcessOptions {
  /** How long the child may take to stop by itself once the stack has died. */
  orphanGraceMs?: number;
}

export function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, options: ProcessOptions = {}): Managed {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...args], {
    env: { ...env, EXIT_WITH_PARENT_GRACE_MS: String(options.orphanGraceMs ?? 5_000) },
    detached: true,
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log); // the child holds its own descriptor
  // The stack's end of the channel must not keep the stack alive either.
  child.channel?.unref();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  let sigkilled = false;
  let stopping: Promise<void> | undefined;
  return {
    name,
    child,
    exited,
    get sigkilled() {
      return sigkilled;
    },
    // Once only: a second SIGTERM would kill a child that handles the first with process.once.
    stop(graceMs = 2_000) {
      return (stopping ??= stopGroup(graceMs));
    },
  };

  async function stopGroup(graceMs: number): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup('SIGTERM');
      const timer = setTimeout(() => {
        sigkilled = true;
        killGroup('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    }
    // Children of the group (e.g. serverless-offline's esbuild) go with it.
    killGroup('SIGKILL');
  }
}
