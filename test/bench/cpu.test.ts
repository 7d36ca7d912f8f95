import { describe, expect, it } from 'vitest';
import { cpuShare, parseCpuTimes, readCpuTimes } from '../../bench/cpu.ts';

const STAT = `cpu  889372 0 203197 1309444 5327 0 19307 39477 0 0
cpu0 444686 0 101598 654722 2663 0 9653 19738 0 0
intr 1 2 3
`;

describe('the bench CPU shares', () => {
  it('reads the aggregate cpu line of /proc/stat', () => {
    expect(parseCpuTimes(STAT)).toEqual([889372, 0, 203197, 1309444, 5327, 0, 19307, 39477]);
  });

  it('refuses text that is not /proc/stat', () => {
    expect(parseCpuTimes('intr 1 2 3\n')).toBeNull();
    expect(parseCpuTimes('cpu  1 2 3\n')).toBeNull();
    expect(parseCpuTimes('cpu  1 2 3 4 5 6 7 x\n')).toBeNull();
    expect(readCpuTimes('/no/such/file')).toBeNull();
  });

  it('splits the time between two readings into busy and stolen shares', () => {
    const before = [100, 0, 50, 1000, 0, 0, 10, 5];
    // +60 user, +10 nice, +20 system, +80 idle, +10 iowait, +0 irq, +10 softirq, +10 steal: 200 ticks in all
    const after = [160, 10, 70, 1080, 10, 0, 20, 15];
    const share = cpuShare(before, after);
    expect(share?.busyPct).toBeCloseTo(50);
    expect(share?.stealPct).toBeCloseTo(5);
  });

  it('gives nothing without two readings or without time between them', () => {
    const reading = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(cpuShare(null, reading)).toBeNull();
    expect(cpuShare(reading, null)).toBeNull();
    expect(cpuShare(reading, reading)).toBeNull();
  });
});
