/** Samples this host's CPU utilisation (since the previous sample) and available memory, for the auto-tuner. */
import { cpus, freemem } from 'node:os';
import type { MachineSample } from './auto-tuner.ts';

function cpuTimes(): { idle: number; total: number } {
  return cpus().reduce(
    (acc, cpu) => {
      const t = cpu.times;
      return { idle: acc.idle + t.idle, total: acc.total + t.user + t.nice + t.sys + t.idle + t.irq };
    },
    { idle: 0, total: 0 },
  );
}

export function machineSampler(): () => MachineSample {
  let previous = cpuTimes();
  return () => {
    const now = cpuTimes();
    const total = now.total - previous.total;
    const busy = total - (now.idle - previous.idle);
    previous = now;
    return { cpuUtilisation: total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0, memoryAvailableMb: freemem() / (1024 * 1024) };
  };
}
