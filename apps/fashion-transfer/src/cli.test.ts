import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { parseCli } from './cli.js';

describe('parseCli', () => {
  it('has the documented defaults', () => {
    const o = parseCli([]);
    expect(o.shots).toEqual([10, 50]);
    expect(o.seeds).toEqual([1, 2, 3]);
    expect(o.methods).toEqual(['scratch', 'frozen', 'finetune', 'lora']);
    expect(o.fineTuneLearningRate).toBe(0.0003);
    expect(o.dir).toBeUndefined();
  });

  it('parses lists and numbers', () => {
    const o = parseCli(['--shots', '5,10', '--methods', 'lora,scratch', '--finetune-lr', '1e-4', '--data', '/d']);
    expect(o).toMatchObject({ shots: [5, 10], methods: ['lora', 'scratch'], fineTuneLearningRate: 1e-4, dir: '/d' });
  });

  it('names the bad option and value', () => {
    expect(() => parseCli(['--shots', '10,x'])).toThrow(/--shots must be a positive integer; got "x"/);
    expect(() => parseCli(['--epochs', '0'])).toThrow(ValueError);
    expect(() => parseCli(['--methods', 'lora,svm'])).toThrow(/unknown method "svm"/);
    expect(() => parseCli(['--finetune-lr=-1'])).toThrow(/--finetune-lr must be a positive number/);
    expect(() => parseCli(['--bogus'])).toThrow(/Unknown option '--bogus'/);
  });
});
