/**
 * CPU time of the local stack's processes (the stack itself with its emulators,
 * the API, worker agents, relays, the AI node, redis-server), read from /proc
 * before and after a benchmark cell: where the full path's CPU goes per job.
 * The programs in the sandboxes are not below the stack (containerd runs them).
 */
import { cpuMs, descendants } from '../local/process-tree.ts';

/** A readable role for each process of the stack. */
function role(cmdline: string): string {
  for (const [pattern, name] of [
    [/serverless\.js offline/, 'API (serverless-offline)'],
    [/worker\/main\.ts/, 'worker agent'],
    [/relay\/main\.ts/, 'relay'],
    [/ainode\/main\.ts/, 'AI node'],
    [/redis-server/, 'redis-server'],
  ] as const) {
    if (pattern.test(cmdline)) return name;
  }
  return cmdline.split(' ').slice(0, 2).join(' ');
}

export type CpuSnapshot = Map<string, number>;

export function snapshot(stackPid: number): CpuSnapshot {
  const totals: CpuSnapshot = new Map([['stack + AWS emulators (fauxqs, dynalite)', cpuMs(stackPid)]]);
  for (const p of descendants(stackPid)) totals.set(role(p.cmdline), (totals.get(role(p.cmdline)) ?? 0) + cpuMs(p.pid));
  return totals;
}

/** CPU milliseconds per job of each role between two snapshots. */
export function perJob(before: CpuSnapshot, after: CpuSnapshot, jobs: number): [string, number][] {
  return [...after].map(([name, ms]): [string, number] => [name, (ms - (before.get(name) ?? 0)) / jobs]).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]);
}
