import { describe, expect, it } from 'vitest';
import { learningCurveSpec, learningCurveSvg } from './chart.js';

const curves = [1, 2, 3].flatMap((epoch) => [
  { method: 'scratch' as const, shots: 10, seed: 1, epoch, accuracy: 0.2 * epoch },
  { method: 'lora' as const, shots: 10, seed: 1, epoch, accuracy: 0.3 * epoch },
]);

describe('learning-curve chart', () => {
  it('maps every curve point into the spec with readable method names', () => {
    const spec = learningCurveSpec(curves, 't') as { data: { values: { method: string; shots: string }[] } };
    expect(spec.data.values).toHaveLength(6);
    expect(new Set(spec.data.values.map((v) => v.method))).toEqual(new Set(['from scratch', 'LoRA (merged)']));
    expect(spec.data.values[0]!.shots).toBe('10 labels/class');
  });

  it('renders an SVG document with one line per method at the expected coordinates', async () => {
    const svg = await learningCurveSvg(curves, 'my title');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('my title');
    expect(svg).toContain('from scratch');
    expect(svg).toContain('LoRA (merged)');
    // One line per method; 320×220 plot, x: epochs 1–3 → 0, 160, 320; y: accuracy a → 220·(1 − a).
    const lines = [...svg.matchAll(/aria-roledescription="line mark" d="([^"]+)"/g)].map((m) => m[1]);
    expect(lines.sort()).toEqual(['M0,154L160,88L320,22', 'M0,176L160,132L320,88']);
  });
});
