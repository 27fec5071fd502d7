import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { makeDataset, makeMoons, makeSpirals, type DatasetName, type Points2D } from './data.js';

function point(d: Points2D, i: number): [number, number] {
  return [d.x[2 * i]!, d.x[2 * i + 1]!];
}

function std(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) };
}

describe('makeMoons', () => {
  it('without noise puts the points on the two half circles of make_moons, centred on the origin', () => {
    const d = makeMoons({ samples: 101, noise: 0, seed: 1 });
    expect(d.x).toHaveLength(202);
    // An odd sample goes to class 0: 51 and 50.
    expect(d.labels.filter((l) => l === 0)).toHaveLength(51);
    expect(d.labels.filter((l) => l === 1)).toHaveLength(50);
    for (let i = 0; i < 101; i++) {
      const [x, y] = point(d, i);
      if (d.labels[i] === 0) {
        // scikit-learn's outer moon (cos t, sin t), shifted by (−0.5, −0.25).
        expect(Math.hypot(x + 0.5, y + 0.25)).toBeCloseTo(1, 5);
        expect(y + 0.25).toBeGreaterThanOrEqual(-1e-6);
      } else {
        // The inner moon (1 − cos t, 0.5 − sin t), shifted the same way: centre (0.5, 0.25), lower half.
        expect(Math.hypot(x - 0.5, y - 0.25)).toBeCloseTo(1, 5);
        expect(y - 0.25).toBeLessThanOrEqual(1e-6);
      }
    }
    // The ends of each arc: t = 0 and t = π.
    expect(point(d, 0)).toEqual([0.5, -0.25]);
    expect(point(d, 50)[0]).toBeCloseTo(-1.5, 6);
    expect(point(d, 51)).toEqual([-0.5, 0.25]);
    expect(point(d, 100)[0]).toBeCloseTo(1.5, 6);
  });

  it('adds Gaussian noise of the requested standard deviation to each coordinate', () => {
    const clean = makeMoons({ samples: 4000, noise: 0, seed: 3 });
    const noisy = makeMoons({ samples: 4000, noise: 0.2, seed: 3 });
    const residuals = Array.from(noisy.x, (v, i) => v - clean.x[i]!);
    const { mean, std: s } = std(residuals);
    expect(Math.abs(mean)).toBeLessThan(0.01); // 4 standard errors of 0.2 / √8000
    expect(s).toBeGreaterThan(0.19);
    expect(s).toBeLessThan(0.21);
    expect(noisy.labels).toEqual(clean.labels);
  });
});

describe('makeSpirals', () => {
  it('without noise puts each point on its Archimedean spiral, class 1 being class 0 turned by π', () => {
    const d = makeSpirals({ samples: 500, noise: 0, seed: 2 });
    expect(d.labels.filter((l) => l === 1)).toHaveLength(250);
    for (let i = 0; i < 500; i++) {
      const [x, y] = point(d, i);
      const r = Math.hypot(x, y);
      expect(r).toBeGreaterThanOrEqual(0.1 - 1e-6);
      expect(r).toBeLessThan(1 + 1e-6);
      // The polar angle is 3π·r (+ π for class 1), modulo 2π.
      const expected = 3 * Math.PI * r + d.labels[i]! * Math.PI;
      const diff = Math.atan2(y, x) - expected;
      const wrapped = Math.atan2(Math.sin(diff), Math.cos(diff));
      expect(Math.abs(wrapped)).toBeLessThan(1e-5);
    }
  });
});

describe('makeDataset', () => {
  it('is reproducible from the seed and differs between seeds', () => {
    for (const name of ['moons', 'spirals'] as DatasetName[]) {
      const a = makeDataset(name, { samples: 50, noise: 0.1, seed: 9 });
      const b = makeDataset(name, { samples: 50, noise: 0.1, seed: 9 });
      const c = makeDataset(name, { samples: 50, noise: 0.1, seed: 10 });
      expect(a).toEqual(b);
      expect(a.x).not.toEqual(c.x);
    }
  });

  it('rejects bad sizes, noise, seeds and names with the value and the fix', () => {
    expect(() => makeMoons({ samples: 1, noise: 0, seed: 1 })).toThrow(/samples must be an integer >= 2; got 1/);
    expect(() => makeMoons({ samples: 10.5, noise: 0, seed: 1 })).toThrow(ValueError);
    expect(() => makeSpirals({ samples: 10, noise: -0.1, seed: 1 })).toThrow(/noise must be a finite number >= 0/);
    expect(() => makeSpirals({ samples: 10, noise: NaN, seed: 1 })).toThrow(ValueError);
    expect(() => makeMoons({ samples: 10, noise: 0, seed: 0.5 })).toThrow(/seed must be an integer; got 0.5/);
    expect(() => makeDataset('circles' as DatasetName, { samples: 10, noise: 0, seed: 1 })).toThrow(
      /Unknown data set "circles"; choose one of moons, spirals/,
    );
  });
});
