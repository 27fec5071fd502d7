import { describe, expect, it } from 'vitest';
import { ValueError } from './errors.js';
import { createRng, deterministicLog } from './rng.js';

describe('createRng (PCG32)', () => {
  it("reproduces PCG's published reference output (pcg32-demo, seed 42, stream 54)", () => {
    const rng = createRng(42, { stream: 54 });
    const got = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(got).toEqual([0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
  });

  it('gives the same sequence for the same seed and different ones otherwise', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const d = createRng(7, { stream: 55 });
    const seq = (r: ReturnType<typeof createRng>): number[] => Array.from({ length: 5 }, () => r.nextUint32());
    const sa = seq(a);
    expect(seq(b)).toEqual(sa);
    expect(seq(c)).not.toEqual(sa);
    expect(seq(d)).not.toEqual(sa);
  });

  it('accepts 64-bit seeds as bigint with the same result as the equal number', () => {
    expect(createRng(2n ** 40n + 5n).nextUint32()).toBe(createRng(2 ** 40 + 5).nextUint32());
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(1);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      sum += u;
      sq += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const mean = sum / n;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // standard error of the mean is sqrt(1/12/n) ≈ 6.5e-4; allow 5 sigma
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(2e-3);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const rng = createRng(2);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(3, 2);
      sum += z;
      sq += z * z;
      if (Math.abs(z - 3) < 2) within1++;
    }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean - 3)).toBeLessThan(5 * (2 / Math.sqrt(n)));
    expect(Math.abs(std - 2)).toBeLessThan(0.02);
    // P(|Z| < 1) = erf(1/√2) = 0.682689…
    expect(Math.abs(within1 / n - 0.682689)).toBeLessThan(5e-3);
  });

  it('keeps truncated normals within two standard deviations', () => {
    const rng = createRng(3);
    for (let i = 0; i < 10_000; i++) {
      const z = rng.truncatedNormal(1, 0.5);
      expect(Math.abs(z - 1)).toBeLessThanOrEqual(1);
    }
  });

  it('draws unbiased integers in [0, n)', () => {
    const rng = createRng(4);
    const counts = new Array<number>(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.int(6)]!++;
    // chi-square with 5 degrees of freedom: the 99.9% quantile is 20.5
    const chi2 = counts.reduce((s, c) => s + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi2).toBeLessThan(20.5);
    expect(() => rng.int(0)).toThrow(ValueError);
    expect(() => rng.int(1.5)).toThrow(ValueError);
  });

  it('shuffles into a permutation and reproduces it from the seed', () => {
    const p = createRng(5).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(createRng(5).permutation(1000)).toEqual(p);
    expect(Array.from(p.slice(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('resumes exactly from a saved state, including a pending normal', () => {
    const rng = createRng(6);
    rng.normal(); // leaves the pair's second value pending
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.uniform(), rng.nextUint32()];
    const other = createRng(999);
    other.setState(state);
    expect([other.normal(), other.uniform(), other.nextUint32()]).toEqual(expected);
    expect(() => other.setState({ ...state, incLo: 2 })).toThrow(/must be odd/);
  });

  it('forks independent streams deterministically', () => {
    const a = createRng(9).fork();
    const b = createRng(9).fork();
    const parent = createRng(9);
    const sa = Array.from({ length: 4 }, () => a.nextUint32());
    expect(Array.from({ length: 4 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 4 }, () => parent.nextUint32())).not.toEqual(sa);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => createRng(bad)).toThrow(ValueError);
    }
    expect(() => createRng(-1)).toThrow(/seed must be a non-negative safe integer.*-1/);
    expect(() => createRng(2n ** 64n)).toThrow(ValueError);
  });
});

describe('deterministicLog', () => {
  it('matches Math.log to within one ulp across the double range', () => {
    const rng = createRng(10);
    const values = [1, 2, Math.E, 0.5, 1e-300, 5e-324, 1e300, 1 + 2 ** -30, 1 - 2 ** -30, 0.999999, 1.0000001];
    for (let i = 0; i < 20_000; i++) values.push(Math.exp(rng.uniform(-700, 700)));
    for (let i = 0; i < 20_000; i++) values.push(rng.uniform());
    for (const x of values) {
      const expected = Math.log(x);
      const got = deterministicLog(x);
      const ulp = Math.max(Number.MIN_VALUE, Math.abs(expected) * Number.EPSILON);
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(ulp);
    }
  });

  it('handles the special values like Math.log', () => {
    expect(deterministicLog(0)).toBe(-Infinity);
    expect(deterministicLog(-0)).toBe(-Infinity);
    expect(deterministicLog(-1)).toBeNaN();
    expect(deterministicLog(Number.NaN)).toBeNaN();
    expect(deterministicLog(Infinity)).toBe(Infinity);
    expect(deterministicLog(1)).toBe(0);
  });
});
