/**
 * The processes below a pid, read from /proc (Linux): to pause a stack's
 * workers, for tests to check that nothing of a stopped stack is left, and
 * for the benchmarks' CPU accounting.
 * A process is identified by pid and start time, so a reused pid is not
 * mistaken for a survivor; a zombie counts as gone (it holds nothing but its
 * entry until its new parent reaps it).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  startTime: string;
  cmdline: string;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid: number): { ppid: number; state: string; startTime: string; cpuMs: number } | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, …,
    // utime, stime, cutime, cstime (14th–17th fields), …, starttime (22nd field).
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return { state: fields[0]!, ppid: Number(fields[1]), startTime: fields[19]!, cpuMs: ticks * (1000 / TICKS_PER_SECOND) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time the whole machine spent busy (user, nice, system, irq, softirq: every process and the
 * kernel's work for them), from /proc/stat. Steal (time the hypervisor gave another guest) is left out.
 */
export function machineBusyMs(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq!) * (1000 / TICKS_PER_SECOND);
}

/** CPU time (user + system) of a process and of the children it reaped; 0 when it is gone. */
export function cpuMs(pid: number): number {
  return stat(pid)?.cpuMs ?? 0;
}

function info(pid: number): ProcessInfo | undefined {
  const s = stat(pid);
  if (!s) return undefined;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    /* gone meanwhile */
  }
  return { pid, ppid: s.ppid, startTime: s.startTime, cmdline };
}

/** Every process below `root` (children, their children, …), as they are now. */
export function descendants(root: number): ProcessInfo[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => info(Number(d))).filter((p): p is ProcessInfo => p !== undefined);
  const found: ProcessInfo[] = [];
  const parents = [root];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const p of all.filter((c) => c.ppid === parent)) {
      found.push(p);
      parents.push(p.pid);
    }
  }
  return found;
}

/** Still running: the same process (pid and start time), and not a zombie. */
export function isAlive(p: Pick<ProcessInfo, 'pid' | 'startTime'>): boolean {
  const s = stat(p.pid);
  return s !== undefined && s.state !== 'Z' && s.startTime === p.startTime;
}
