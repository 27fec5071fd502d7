/**
 * Runs one conformance case on the active tfjs backend and compares it with the float64
 * reference: forward values, then gradients against central finite differences.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@plasticity/core';
import { expectTensorsClose } from '../assertions.js';
import type { ConformanceCase, InputSpec } from './cases.js';
import { nd, type Nd } from './reference.js';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Defaults: float32 kernels against a float64 reference. */
export const DEFAULT_FORWARD_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-5 };
export const DEFAULT_GRADIENT_TOLERANCE: Tolerance = { rtol: 2e-3, atol: 2e-4 };

function seedOf(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

function makeInput(spec: InputSpec, rng: Rng): Nd {
  if (spec.kind === 'int') return nd(spec.shape, spec.values);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Array<number>(size);
  for (let i = 0; i < size; i++) {
    values[i] = Math.fround(spec.kind === 'positive' ? rng.uniform(0.5, 2) : rng.uniform(-1, 1));
  }
  return nd(spec.shape, values);
}

function toTensor(spec: InputSpec, value: Nd): tf.Tensor {
  return tf.tensor(Array.from(value.data), value.shape, spec.kind === 'int' ? 'int32' : 'float32');
}

function inputsFor(c: ConformanceCase): Nd[] {
  const rng = createRng(seedOf(c.name));
  return c.inputs.map((spec) => makeInput(spec, rng));
}

interface Prepared {
  /** Tensors to read back (kept outside any tidy; disposed by the caller). */
  actual: tf.Tensor[];
  /** Compares the values read from `actual`, in order; throws on mismatch. */
  compare(values: ArrayLike<number>[]): void;
}

function prepareForward(c: ConformanceCase, tolerance: Tolerance): Prepared {
  const inputs = inputsFor(c);
  const expected = c.reference(...inputs);
  const actual = tf.tidy(() => c.forward(tf, ...inputs.map((x, i) => toTensor(c.inputs[i]!, x))));
  return {
    actual: [actual],
    compare: ([values]) =>
      expectTensorsClose(
        { values: values!, shape: actual.shape },
        { values: expected.data, shape: expected.shape },
        { ...tolerance, ...c.tolerance, label: `${c.name} forward` },
      ),
  };
}

function prepareGradient(c: ConformanceCase, tolerance: Tolerance): Prepared {
  const inputs = inputsFor(c);
  const out = c.reference(...inputs);
  const rng = createRng(seedOf(`${c.name}/weights`));
  const weights = Array.from(out.data, () => Math.fround(rng.uniform(-1, 1)));
  const refLoss = (xs: Nd[]): number => {
    const y = c.reference(...xs);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += y.data[i]! * weights[i]!;
    return s;
  };
  const floatIdx = c.inputs.map((s, i) => (s.kind === 'int' ? -1 : i)).filter((i) => i >= 0);
  const eps = 1e-6;
  const grads = tf.tidy(() => {
    const tensors = inputs.map((x, i) => toTensor(c.inputs[i]!, x));
    const w = tf.tensor(weights, out.shape);
    const loss = (...floats: tf.Tensor[]): tf.Scalar => {
      const args = tensors.slice();
      floatIdx.forEach((idx, k) => {
        args[idx] = floats[k]!;
      });
      return tf.sum(tf.mul(c.forward(tf, ...args), w));
    };
    return tf.grads(loss)(floatIdx.map((i) => tensors[i]!));
  });
  return {
    actual: grads,
    compare: (values) =>
      floatIdx.forEach((idx, k) => {
        const x = inputs[idx]!;
        const numeric = new Float64Array(x.data.length);
        for (let j = 0; j < x.data.length; j++) {
          const plus = inputs.slice();
          const minus = inputs.slice();
          const xp = nd(x.shape, x.data);
          const xm = nd(x.shape, x.data);
          xp.data[j]! += eps;
          xm.data[j]! -= eps;
          plus[idx] = xp;
          minus[idx] = xm;
          numeric[j] = (refLoss(plus) - refLoss(minus)) / (2 * eps);
        }
        expectTensorsClose(
          { values: values[k]!, shape: grads[k]!.shape },
          { values: numeric, shape: x.shape },
          { ...tolerance, label: `${c.name} gradient of input ${idx}` },
        );
      }),
  };
}

function finish(
  c: ConformanceCase,
  what: string,
  before: number,
  prepared: Prepared,
  values: ArrayLike<number>[],
): void {
  tf.dispose(prepared.actual);
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${c.name} ${what} leaked ${after - before} tensors`);
  prepared.compare(values);
}

function runSync(c: ConformanceCase, what: string, prepare: () => Prepared): void {
  const before = tf.memory().numTensors;
  const prepared = prepare();
  let values: ArrayLike<number>[];
  try {
    values = prepared.actual.map((t) => t.dataSync() as ArrayLike<number>);
  } catch (error) {
    tf.dispose(prepared.actual);
    throw error;
  }
  finish(c, what, before, prepared, values);
}

async function runAsync(c: ConformanceCase, what: string, prepare: () => Prepared): Promise<void> {
  const before = tf.memory().numTensors;
  const prepared = prepare();
  let values: ArrayLike<number>[];
  try {
    values = (await Promise.all(prepared.actual.map((t) => t.data()))) as ArrayLike<number>[];
  } catch (error) {
    tf.dispose(prepared.actual);
    throw error;
  }
  finish(c, what, before, prepared, values);
}

/** Throws if the backend's forward result differs from the reference. Leaves no tensors behind. */
export function checkForward(c: ConformanceCase, tolerance: Tolerance = DEFAULT_FORWARD_TOLERANCE): void {
  runSync(c, 'forward', () => prepareForward(c, tolerance));
}

/**
 * {@link checkForward} reading results back with `await tensor.data()`: for backends without
 * synchronous read-back (WebGPU in Node has no `OffscreenCanvas` for tfjs's `dataSync` path).
 */
export async function checkForwardAsync(
  c: ConformanceCase,
  tolerance: Tolerance = DEFAULT_FORWARD_TOLERANCE,
): Promise<void> {
  await runAsync(c, 'forward', () => prepareForward(c, tolerance));
}

/** Whether a case has gradients to check (a float input, and not opted out). */
export function hasGradient(c: ConformanceCase): boolean {
  return c.grad !== false && c.inputs.some((s) => s.kind !== 'int');
}

/**
 * Throws if the backend's gradients of `sum(forward(x) * w)` (w fixed, seeded) differ from central
 * finite differences of the float64 reference.
 */
export function checkGradient(c: ConformanceCase, tolerance: Tolerance = DEFAULT_GRADIENT_TOLERANCE): void {
  runSync(c, 'gradient', () => prepareGradient(c, tolerance));
}

/** {@link checkGradient} reading results back asynchronously (see {@link checkForwardAsync}). */
export async function checkGradientAsync(
  c: ConformanceCase,
  tolerance: Tolerance = DEFAULT_GRADIENT_TOLERANCE,
): Promise<void> {
  await runAsync(c, 'gradient', () => prepareGradient(c, tolerance));
}
