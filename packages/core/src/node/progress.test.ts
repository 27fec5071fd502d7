import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressEmitter } from '../events.js';
import { renderProgress } from './progress.js';

function capture(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; cursorTo?: unknown };
  let out = '';
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 120;
    Object.assign(stream, {
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
    });
  }
  return { stream, text: () => out };
}

function run(emitter: ProgressEmitter): void {
  emitter.emit({ type: 'begin', label: 'fit', epochs: 2, steps: 3 });
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let batch = 0; batch < 3; batch++) {
      emitter.emit({ type: 'batch', epoch, batch, steps: 3, metrics: { loss: 1 / (epoch * 3 + batch + 1) } });
    }
    emitter.emit({ type: 'epoch', epoch, epochs: 2, metrics: { loss: 1 / (epoch + 1) } });
  }
  emitter.emit({ type: 'end', metrics: { loss: 0.5 } });
}

describe('renderProgress', () => {
  it('prints one plain line per epoch when the stream is not a terminal', () => {
    const { stream, text } = capture(false);
    const emitter = new ProgressEmitter();
    emitter.on(renderProgress({ stream }));
    run(emitter);
    expect(text()).toBe('fit epoch 1/2 loss=1.0000\nfit epoch 2/2 loss=0.5000\nfit done loss=0.5000\n');
  });

  it('draws a bar with the step count and live metrics on a terminal', () => {
    const { stream, text } = capture(true);
    const emitter = new ProgressEmitter();
    const renderer = renderProgress({ stream, bars: true });
    emitter.on(renderer);
    run(emitter);
    const out = text();
    expect(out).toMatch(/fit epoch 1\/2 \|░+\| 0\/3 loss=1\.0000/);
    expect(out).toMatch(/fit epoch 2\/2 \|░+\| 0\/3 loss=0\.2500/);
    expect(out).toContain('fit epoch 2/2 loss=0.5000');
    expect(out).toContain('fit done loss=0.5000');
  });

  it('says when a run stopped early or failed', () => {
    const { stream, text } = capture(false);
    const render = renderProgress({ stream });
    render({ type: 'begin', label: 'cv' });
    render({ type: 'end', stopped: true });
    render({ type: 'end', error: 'NaN loss' });
    expect(text()).toBe('cv stopped early\ncv failed: NaN loss\n');
  });
});
