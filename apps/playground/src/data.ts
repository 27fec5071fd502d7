/**
 * The playground's 2-D binary classification data sets, generated in the page from a seed
 * (PCG32 from `@plasticity/core`), as plain typed arrays so that they can be drawn and tested
 * without a backend.
 */
import { ValueError, createRng, describeValue } from '@plasticity/core';

/** The data sets the playground offers. */
export const DATASETS = ['moons', 'spirals'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface DatasetOptions {
  /** Total number of points, split evenly between the two classes (an odd one goes to class 0). */
  samples: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  noise: number;
  seed: number;
}

/** `n` points in the plane with a 0/1 label each. */
export interface Points2D {
  /** `[n, 2]` row-major: x₀, y₀, x₁, y₁, … */
  x: Float32Array;
  /** `[n]`: 0 or 1. */
  labels: Uint8Array;
}

function checkOptions(options: DatasetOptions): void {
  if (!Number.isInteger(options.samples) || options.samples < 2) {
    throw new ValueError(`samples must be an integer >= 2; got ${describeValue(options.samples)}.`, {
      field: 'samples',
      value: options.samples,
    });
  }
  if (!(Number.isFinite(options.noise) && options.noise >= 0)) {
    throw new ValueError(`noise must be a finite number >= 0; got ${describeValue(options.noise)}.`, {
      field: 'noise',
      value: options.noise,
    });
  }
  if (!Number.isInteger(options.seed)) {
    throw new ValueError(`seed must be an integer; got ${describeValue(options.seed)}.`, {
      field: 'seed',
      value: options.seed,
    });
  }
}

/**
 * Two interleaving half circles, as scikit-learn's `make_moons`, shifted so that the data is
 * centred on the origin: class 0 on the upper half of the unit circle around (−0.5, −0.25),
 * class 1 on the lower half of the unit circle around (0.5, 0.25). Points are spaced evenly
 * along each arc (`t = π·i/(m−1)`), then noise is added.
 */
export function makeMoons(options: DatasetOptions): Points2D {
  checkOptions(options);
  const rng = createRng(options.seed);
  const n = options.samples;
  const outer = Math.ceil(n / 2);
  const inner = n - outer;
  const x = new Float32Array(n * 2);
  const labels = new Uint8Array(n);
  const arc = (i: number, m: number): number => (m === 1 ? 0 : (Math.PI * i) / (m - 1));
  for (let i = 0; i < n; i++) {
    const label = i < outer ? 0 : 1;
    const t = label === 0 ? arc(i, outer) : arc(i - outer, inner);
    const px = label === 0 ? Math.cos(t) - 0.5 : 1 - Math.cos(t) - 0.5;
    const py = label === 0 ? Math.sin(t) - 0.25 : 0.5 - Math.sin(t) - 0.25;
    x[2 * i] = px + (options.noise === 0 ? 0 : rng.normal(0, options.noise));
    x[2 * i + 1] = py + (options.noise === 0 ? 0 : rng.normal(0, options.noise));
    labels[i] = label;
  }
  return { x, labels };
}

/**
 * Two interleaved Archimedean spirals (1.5 turns each) in the unit disc: the point at parameter
 * `s ∈ [0.1, 1]` of class 0 is `s·(cos 3πs, sin 3πs)`; class 1 is class 0 rotated by π. The
 * parameters are drawn uniformly, then noise is added. No straight line separates the classes.
 */
export function makeSpirals(options: DatasetOptions): Points2D {
  checkOptions(options);
  const rng = createRng(options.seed);
  const n = options.samples;
  const x = new Float32Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const s = rng.uniform(0.1, 1);
    const angle = 3 * Math.PI * s + label * Math.PI;
    x[2 * i] = s * Math.cos(angle) + (options.noise === 0 ? 0 : rng.normal(0, options.noise));
    x[2 * i + 1] = s * Math.sin(angle) + (options.noise === 0 ? 0 : rng.normal(0, options.noise));
    labels[i] = label;
  }
  return { x, labels };
}

/** Makes the named data set. */
export function makeDataset(name: DatasetName, options: DatasetOptions): Points2D {
  switch (name) {
    case 'moons':
      return makeMoons(options);
    case 'spirals':
      return makeSpirals(options);
    default:
      throw new ValueError(`Unknown data set ${describeValue(name)}; choose one of ${DATASETS.join(', ')}.`, {
        field: 'dataset',
        value: name,
      });
  }
}
