// What the machine's CPUs did while a row was measured, from /proc/stat (Linux): how busy they were, and how much
// time the hypervisor gave to other guests (steal). On a shared VM a tail measured while the cores were saturated or
// stolen from says as much about the machine as about the code. Elsewhere than Linux nothing is read.
import { readFileSync } from 'node:fs';

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal, in clock ticks. */
export type CpuTimes = readonly number[];

export interface CpuShare {
  /** Percent of all CPU time spent running anything (not idle, not waiting for I/O, not stolen). */
  busyPct: number;
  /** Percent of all CPU time the hypervisor ran other guests on our virtual CPUs. */
  stealPct: number;
}

export function readCpuTimes(stat = '/proc/stat'): CpuTimes | null {
  try {
    return parseCpuTimes(readFileSync(stat, 'utf8'));
  } catch {
    return null;
  }
}

export function parseCpuTimes(text: string): CpuTimes | null {
  const line = text.split('\n', 1)[0] ?? '';
  if (!line.startsWith('cpu ')) return null;
  const times = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return times.length === 8 && times.every(Number.isFinite) ? times : null;
}

/** Shares of all CPU time between two readings; null when either is missing or no time passed. */
export function cpuShare(before: CpuTimes | null, after: CpuTimes | null): CpuShare | null {
  if (!before || !after) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = after.map(
    (value, i) => value - (before[i] ?? 0),
  );
  const busy = user + nice + system + irq + softirq;
  const total = busy + idle + iowait + steal;
  if (total <= 0) return null;
  return { busyPct: (100 * busy) / total, stealPct: (100 * steal) / total };
}
