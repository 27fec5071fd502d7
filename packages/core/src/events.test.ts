import { describe, expect, it, vi } from 'vitest';
import { ValueError } from './errors.js';
import { ProgressEmitter, formatMetrics, validateTrainingEvent, type TrainingEvent } from './events.js';

describe('ProgressEmitter', () => {
  it('delivers events in order to every listener until removed', () => {
    const emitter = new ProgressEmitter();
    const seen: string[] = [];
    const off = emitter.on((e) => seen.push(`a:${e.type}`));
    emitter.on((e) => seen.push(`b:${e.type}`));
    emitter.emit({ type: 'begin', epochs: 2, steps: 3 });
    off();
    emitter.emit({ type: 'epoch', epoch: 0, metrics: { loss: 1 } });
    expect(seen).toEqual(['a:begin', 'b:begin', 'b:epoch']);
    expect(emitter.size).toBe(1);
  });

  it('runs every listener even when one throws, then rethrows the first error', () => {
    const emitter = new ProgressEmitter();
    const second = vi.fn();
    emitter.on(() => {
      throw new Error('renderer crashed');
    });
    emitter.on(second);
    expect(() => emitter.emit({ type: 'end' })).toThrow('renderer crashed');
    expect(second).toHaveBeenCalledOnce();
  });

  it('rejects events that break the contract, naming the field and value', () => {
    const emitter = new ProgressEmitter();
    const bad: unknown[] = [
      { type: 'batch', epoch: -1, batch: 0, metrics: {} },
      { type: 'batch', epoch: 0, batch: 1.5, metrics: {} },
      { type: 'epoch', epoch: 0, metrics: { loss: 'high' } },
      { type: 'epoch', epoch: 0 },
      { type: 'begin', epochs: Number.NaN },
      { type: 'progress' },
    ];
    for (const event of bad) expect(() => emitter.emit(event as TrainingEvent)).toThrow(ValueError);
    expect(() => validateTrainingEvent({ type: 'epoch', epoch: 0, metrics: { loss: 'x' as never } })).toThrow(
      /Metric loss must be a number; got "x"/,
    );
  });
});

describe('formatMetrics', () => {
  it('prints names and values with four decimals', () => {
    expect(formatMetrics({ loss: 0.123456, acc: 1 })).toBe('loss=0.1235 acc=1.0000');
    expect(formatMetrics({ loss: Number.NaN })).toBe('loss=NaN');
    expect(formatMetrics(undefined)).toBe('');
  });
});
