import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
// MultiHeadAttention against a float64 reference written as plain loops over heads (tfjs-layers
// 4.22 has no MultiHeadAttention), and its gradients against finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, memoryIO, randomTensor, ShapeError, ValueError } from '@plasticity/core';
import { expectGradientsMatchFiniteDifferences, expectTensorsClose } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, Model, MultiHeadAttention, input, loadModel, type SymbolicTensor } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

let seed = 900;
const rand = (shape: number[], scale = 1): tf.Tensor =>
  randomTensor(shape, createRng(seed++), { min: -scale, max: scale });

type A3 = number[][][];

/** Keras MultiHeadAttention in float64, one head at a time; masked keys get probability 0. */
function reference(
  layer: MultiHeadAttention,
  q: A3,
  v: A3,
  k: A3,
  allowed?: (b: number, i: number, j: number) => boolean,
): { output: A3; scores: number[][][][] } {
  const w = Object.fromEntries(layer.weightEntries.map((e) => [e.name, e.variable.arraySync()])) as Record<
    string,
    unknown
  >;
  const project = (x: number[], name: string, h: number): number[] => {
    const kernel = w[`${name}/kernel`] as A3; // [in, heads, dim]
    const bias = w[`${name}/bias`] as number[][] | undefined;
    return kernel[0]![h]!.map((_, d) => x.reduce((s, xi, i) => s + xi * kernel[i]![h]![d]!, bias?.[h]![d] ?? 0));
  };
  const outKernel = w['attention_output/kernel'] as A3; // [heads, valueDim, out]
  const outBias = w['attention_output/bias'] as number[] | undefined;
  const outDim = outKernel[0]![0]!.length;
  const scores: number[][][][] = [];
  const output = q.map((qb, b) => {
    const perHead: number[][][] = [];
    const bScores: number[][][] = [];
    for (let h = 0; h < layer.numHeads; h++) {
      const Q = qb.map((x) => project(x, 'query', h));
      const K = k[b]!.map((x) => project(x, 'key', h));
      const V = v[b]!.map((x) => project(x, 'value', h));
      const probs = Q.map((qi, i) => {
        const logits = K.map((kj) => qi.reduce((s, x, d) => s + x * kj[d]!, 0) / Math.sqrt(layer.keyDim));
        const ok = K.map((_, j) => (allowed === undefined ? true : allowed(b, i, j)));
        const m = Math.max(...logits.filter((_, j) => ok[j]));
        const e = logits.map((l, j) => (ok[j] ? Math.exp(l - m) : 0));
        const total = e.reduce((s, x) => s + x, 0);
        return e.map((x) => x / total);
      });
      bScores.push(probs);
      perHead.push(probs.map((p) => V[0]!.map((_, e) => p.reduce((s, pj, j) => s + pj * V[j]![e]!, 0))));
    }
    scores.push(bScores);
    return qb.map((_, i) =>
      Array.from({ length: outDim }, (_, o) => {
        let s = outBias?.[o] ?? 0;
        for (let h = 0; h < layer.numHeads; h++)
          perHead[h]![i]!.forEach((x, e) => {
            s += x * outKernel[h]![e]![o]!;
          });
        return s;
      }),
    );
  });
  return { output, scores };
}

const close = (actual: tf.Tensor, expected: unknown, shape: number[]): void =>
  expectTensorsClose(actual, { values: (expected as number[]).flat(3) as number[], shape }, { rtol: 1e-5, atol: 1e-5 });

describe('MultiHeadAttention matches the float64 reference', () => {
  it('self-attention with default sizes', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3, biasInitializer: 'randomNormal' });
    const x = rand([2, 4, 5]);
    const y = mha.apply([x, x]) as tf.Tensor;
    const X = x.arraySync() as A3;
    close(y, reference(mha, X, X, X).output, [2, 4, 5]);
    expect(mha.countParams()).toBe(3 * (5 * 2 * 3 + 2 * 3) + 2 * 3 * 5 + 5);
  });

  it('cross-attention: separate key, valueDim ≠ keyDim, outputShape, no bias, attention scores', () => {
    const mha = new MultiHeadAttention({
      numHeads: 3,
      keyDim: 2,
      valueDim: 4,
      outputShape: 6,
      useBias: false,
      returnAttentionScores: true,
    });
    const q = rand([2, 3, 5]);
    const v = rand([2, 4, 7]);
    const k = rand([2, 4, 2]);
    const [y, scores] = mha.apply([q, v, k]) as tf.Tensor[];
    const ref = reference(mha, q.arraySync() as A3, v.arraySync() as A3, k.arraySync() as A3);
    close(y!, ref.output, [2, 3, 6]);
    close(scores!, ref.scores, [2, 3, 3, 4]);
    expect(mha.weightEntries.map((w) => `${w.name}:${w.variable.shape.join('x')}`)).toEqual([
      'query/kernel:5x3x2',
      'key/kernel:2x3x2',
      'value/kernel:7x3x4',
      'attention_output/kernel:3x4x6',
    ]);
    expect(
      mha.computeOutputShape([
        [null, 3, 5],
        [null, 4, 7],
        [null, 4, 2],
      ]),
    ).toEqual([
      [null, 3, 6],
      [null, 3, 3, 4],
    ]);
  });

  it('an attention mask, a causal mask, and both', () => {
    const x = rand([2, 4, 3]);
    const X = x.arraySync() as A3;
    const maskValues = [
      [1, 1, 0, 0],
      [1, 0, 1, 0],
      [0, 1, 1, 1],
      [1, 1, 1, 0],
    ];
    const maskB = [maskValues, maskValues.map((row) => row.map((m, j) => (j === 3 ? 1 : m)))];
    const mask = tf.tensor3d(maskB, [2, 4, 4]);
    const plain = new MultiHeadAttention({ numHeads: 2, keyDim: 2, returnAttentionScores: true });
    const [y, s] = plain.apply([x, x], { attentionMask: mask }) as tf.Tensor[];
    const ref = reference(plain, X, X, X, (b, i, j) => maskB[b]![i]![j]! === 1);
    close(y!, ref.output, [2, 4, 3]);
    close(s!, ref.scores, [2, 2, 4, 4]);
    expectTensorsClose((plain.apply([x, x, x, tf.cast(mask, 'bool')]) as tf.Tensor[])[0]!, y!, { rtol: 0, atol: 0 });
    const causal = new MultiHeadAttention({ numHeads: 2, keyDim: 2, useCausalMask: true });
    close(causal.apply([x, x]) as tf.Tensor, reference(causal, X, X, X, (_, i, j) => j <= i).output, [2, 4, 3]);
    const both = causal.apply([x, x], { attentionMask: mask }) as tf.Tensor;
    close(both, reference(causal, X, X, X, (b, i, j) => j <= i && maskB[b]![i]![j]! === 1).output, [2, 4, 3]);
  });

  it('dropout on the attention probabilities only while training', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 0.5, seed: 4 });
    const x = rand([2, 3, 4]);
    const X = x.arraySync() as A3;
    close(mha.apply([x, x]) as tf.Tensor, reference(mha, X, X, X).output, [2, 3, 4]);
    const trained = mha.apply([x, x], { training: true }) as tf.Tensor;
    expect(Array.from(trained.dataSync())).not.toEqual(Array.from((mha.apply([x, x]) as tf.Tensor).dataSync()));
  });
});

describe('MultiHeadAttention gradients match finite differences', () => {
  it('for query, value, key and every weight', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3, biasInitializer: 'randomNormal' });
    const q = rand([1, 2, 3]);
    const v = rand([1, 3, 2]);
    const k = rand([1, 3, 2]);
    const w = rand([1, 2, 3]);
    const loss = (...xs: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(mha.apply(xs) as tf.Tensor, w));
    expectGradientsMatchFiniteDifferences(loss, [q, v, k]);
    for (const variable of mha.trainableWeights) {
      const { grads, value } = tf.variableGrads(() => loss(q, v, k), [variable]);
      const base = variable.dataSync().slice();
      const numeric = new Float32Array(base.length);
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number): number => {
          const shifted = base.slice();
          shifted[i] = base[i]! + delta;
          variable.assign(tf.tensor(shifted, variable.shape));
          return tf.tidy(() => loss(q, v, k).dataSync()[0]!);
        };
        numeric[i] = (at(1e-2) - at(-1e-2)) / 2e-2;
      }
      variable.assign(tf.tensor(base, variable.shape));
      expectTensorsClose(
        grads[variable.name]!,
        { values: numeric, shape: variable.shape },
        { rtol: 2e-2, atol: 2e-3, label: `gradient of ${variable.name}` },
      );
      tf.dispose([grads[variable.name]!, value]);
    }
  });
});

describe('MultiHeadAttention in models', () => {
  it('round-trips through save/load with a mask input', async () => {
    const x = input({ shape: [4, 6], name: 'tokens' });
    const m = input({ shape: [4, 4], name: 'mask' });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 3, useCausalMask: true }).apply([x, x], {
      attentionMask: m,
    }) as SymbolicTensor;
    const model = new Model({ inputs: [x, m], outputs: new Dense({ units: 2 }).apply(attended) });
    const data = [rand([3, 4, 6]), tf.onesLike(rand([3, 4, 4]))];
    const before = model.predict(data) as tf.Tensor;
    await model.save(memoryIO('mha'));
    const loaded = await loadModel(memoryIO('mha'));
    expectTensorsClose(loaded.predict(data) as tf.Tensor, before, { rtol: 0, atol: 0 });
    const restored = loaded.layers.find((l) => l instanceof MultiHeadAttention)!;
    expect(restored.useCausalMask).toBe(true);
    expect(loaded.countParams()).toBe(model.countParams());
  });

  it('rejects bad configuration and shapes with typed errors', () => {
    expect(() => new MultiHeadAttention({ numHeads: 0, keyDim: 2 })).toThrow(
      /numHeads must be a positive integer; got 0/,
    );
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, dropout: 1 })).toThrow(ValueError);
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, outputShape: [2, 3] as never })).toThrow(
      /outputShape must be a number or a one-element list/,
    );
    expect(() => new MultiHeadAttention({ numHeads: 1, keyDim: 2, attentionAxes: [1] as never })).toThrow(
      /only attentionAxes null/,
    );
    const mha = new MultiHeadAttention({ numHeads: 1, keyDim: 2, name: 'mha_bad' });
    expect(() => mha.apply(rand([2, 3, 4]))).toThrow(/takes \[query, value\]/);
    expect(() => mha.apply([rand([2, 3]), rand([2, 3, 4])])).toThrow(ShapeError);
    expect(() => mha.apply([rand([2, 3, 4]), rand([2, 5, 4]), rand([2, 4, 4])])).toThrow(
      /key and value need the same number of time steps/,
    );
    expect(() => mha.apply([rand([2, 3, 4]), rand([2, 5, 4])], { attentionMask: rand([2, 3, 4]) })).toThrow(
      /attentionMask must have shape \[batch, queryTime, keyTime\] = \[2,3,5\]; got \[2,3,4\]/,
    );
  });
});
