import { describe, expect, it } from 'vitest';
import { formatTable, meanStd, transferTable } from './table.js';
import type { TransferRow } from './experiment.js';

describe('meanStd', () => {
  it('gives the mean and the sample standard deviation', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
    const { mean, std } = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(mean).toBe(5);
    expect(std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanStd([3])).toEqual({ mean: 3, std: 0 });
  });
});

describe('formatTable', () => {
  it('pads columns to the widest cell', () => {
    expect(formatTable(['a', 'bb'], [['xyz', '1']])).toBe('| a   | bb |\n|-----|----|\n| xyz | 1  |');
  });
});

describe('transferTable', () => {
  it('groups runs by shots and method and reports mean ± std in percent', () => {
    const row = (method: TransferRow['method'], seed: number, test: number): TransferRow => ({
      method,
      shots: 10,
      seed,
      validationAccuracy: test,
      testAccuracy: test,
      trainableParams: 325,
      seconds: 1,
    });
    const text = transferTable([row('frozen', 1, 0.5), row('frozen', 2, 0.7), row('lora', 1, 0.8)]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    // mean 60 %, sample std of (50, 70) is 14.1 %.
    expect(lines[2]).toMatch(/\| 10 +\| frozen base \+ new head \| 60\.0 ± 14\.1 \| 60\.0 ± 14\.1 \| 325 /);
    expect(lines[3]).toMatch(/\| LoRA \(merged\) +\| 80\.0 +\| 80\.0 /);
  });
});
