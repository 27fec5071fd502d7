import { describe, expect, it } from 'vitest';
import { summarizeStartup } from './startup.js';
import type { StartupRow } from './startup-child.js';

const row = (variant: 'ours' | 'stock', importMs: number, initMs: number, predictMs: number): StartupRow => ({
  variant,
  importMs,
  initMs,
  predictMs,
  cpuMs: importMs + initMs,
});

describe('summarizeStartup', () => {
  it('takes the median of each phase and of the per-run totals, per variant', () => {
    const rows = [
      row('ours', 300, 20, 10),
      row('stock', 250, 15, 5),
      row('ours', 100, 40, 10), // total 150
      row('ours', 200, 30, 70), // total 300
      row('stock', 260, 25, 5),
    ];
    expect(summarizeStartup(rows, 'ours')).toEqual({
      importMs: 200,
      initMs: 30,
      predictMs: 10,
      totalMs: 300, // totals 330, 150, 300: not 200 + 30 + 10
      cpuMs: 230,
    });
    expect(summarizeStartup(rows, 'stock')).toEqual({
      importMs: 255,
      initMs: 20,
      predictMs: 5,
      totalMs: 280,
      cpuMs: 275,
    });
  });
});
