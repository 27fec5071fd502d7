import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Dense, Model, input } from '@plasticity/layers';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DynamicWeightAverage,
  FixedWeights,
  GradNorm,
  MultiTaskModel,
  PCGrad,
  UncertaintyWeighting,
  pcgradProject,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function twoRegressionTasks(options: { seed?: number; units?: number } = {}): MultiTaskModel {
  const x = input({ shape: [3] });
  const trunk = new Model({ inputs: x, outputs: new Dense({ units: options.units ?? 8, name: 'shared' }).apply(x) });
  return new MultiTaskModel({
    trunk,
    tasks: {
      a: { head: new Dense({ units: 1, name: 'head_a' }), loss: 'mse' },
      b: { head: new Dense({ units: 1, name: 'head_b' }), loss: 'mse' },
    },
  });
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('FixedWeights', () => {
  it('steps along w_a·∇L_a + w_b·∇L_b (SGD, checked against separate gradients)', async () => {
    const mt = twoRegressionTasks();
    const rng = createRng(1);
    const x = randomTensor([16, 3], rng);
    const ya = randomTensor([16, 1], rng);
    const yb = randomTensor([16, 1], rng);
    const vars = mt.model.trainableWeights;
    const loss = (y: tf.Tensor, i: number) => (): tf.Scalar =>
      tf.losses.meanSquaredError(y, (mt.model.call(x, { training: true }) as tf.Tensor[])[i]!) as tf.Scalar;
    const ga = tf.variableGrads(loss(ya, 0), vars).grads;
    const gb = tf.variableGrads(loss(yb, 1), vars).grads;
    const before = vars.map((v) => Array.from(v.dataSync()));
    mt.compile({ optimizer: new SGD({ learningRate: 0.1 }), balancer: new FixedWeights({ a: 2, b: 0.5 }) });
    await mt.fit(x, { a: ya, b: yb }, { batchSize: 16, shuffle: false });
    vars.forEach((v, k) => {
      const a = Array.from(ga[v.name]?.dataSync() ?? new Float32Array(v.size));
      const b = Array.from(gb[v.name]?.dataSync() ?? new Float32Array(v.size));
      const after = Array.from(v.dataSync());
      after.forEach((w, i) => expect(w).toBeCloseTo(before[k]![i]! - 0.1 * (2 * a[i]! + 0.5 * b[i]!), 5));
    });
    expect(() => new FixedWeights({ a: -1 })).toThrow(ValueError);
    expect(() => mt.compile({ optimizer: new SGD(), balancer: new FixedWeights({ c: 1 }) })).toThrow(
      /"c" is not a task/,
    );
  });
});

describe('UncertaintyWeighting', () => {
  it('learns exp(s_i) ≈ the noise variance of each task: the ratio converges to the known 9', async () => {
    // y_a = x·u + N(0, 0.1²), y_b = x·v + N(0, 0.3²): the best achievable MSEs are 0.01 and 0.09.
    const rng = createRng(7);
    const n = 2000;
    const x = randomTensor([n, 3], rng, { min: -1, max: 1 });
    const ya = tf.add(
      tf.matMul(x, tf.tensor2d([[1], [-2], [0.5]])),
      tf.mul(randomTensor([n, 1], rng, { distribution: 'normal' }), 0.1),
    );
    const yb = tf.add(
      tf.matMul(x, tf.tensor2d([[-1], [0.3], [2]])),
      tf.mul(randomTensor([n, 1], rng, { distribution: 'normal' }), 0.3),
    );
    const mt = twoRegressionTasks();
    const balancer = new UncertaintyWeighting();
    mt.compile({ optimizer: new Adam({ learningRate: 0.02 }), balancer });
    await mt.fit(x, { a: ya, b: yb }, { epochs: 15, batchSize: 100 });
    const [sa, sb] = balancer.logVariances();
    expect(Math.exp(sa!)).toBeCloseTo(0.01, 2);
    expect(Math.exp(sb!)).toBeCloseTo(0.09, 1);
    const ratio = Math.exp(sb! - sa!);
    expect(ratio).toBeGreaterThan(9 * 0.8);
    expect(ratio).toBeLessThan(9 * 1.25);
    // weights are exp(−s)/2
    expect(balancer.weights()[0]).toBeCloseTo(Math.exp(-sa!) / 2, 6);
    balancer.dispose();
  });
});

describe('DynamicWeightAverage', () => {
  it('weights tasks by K·softmax(L(t−1)/L(t−2)/T), ones for the first two epochs', () => {
    const dwa = new DynamicWeightAverage(2);
    dwa.init(['a', 'b', 'c']);
    expect(dwa.weights()).toEqual([1, 1, 1]);
    dwa.onEpochEnd([1, 2, 4]);
    expect(dwa.weights()).toEqual([1, 1, 1]);
    dwa.onEpochEnd([0.5, 2, 2]);
    const r = [0.5, 1, 0.5];
    const e = r.map((v) => Math.exp(v / 2));
    const s = e.reduce((a, b) => a + b, 0);
    dwa.weights().forEach((w, i) => expect(w).toBeCloseTo((3 * e[i]!) / s, 10));
    expect(() => new DynamicWeightAverage(0)).toThrow(/temperature must be a positive number/);
  });
});

describe('GradNorm', () => {
  it('balances gradient norms: with L_b = 4·L_a exactly, the weights converge to w_a/w_b = 4', async () => {
    // Frozen heads with kernels k and 2k, targets y and 2y: pred_b − y_b = 2(pred_a − y_a), so
    // ∇_W L_b = 4·∇_W L_a at every step. Equal wᵢ‖∇_W Lᵢ‖ needs w_a = 4·w_b; with w_a + w_b = 2:
    // w_a = 1.6, w_b = 0.4.
    const x = input({ shape: [3] });
    const trunk = new Model({ inputs: x, outputs: new Dense({ units: 4, name: 'gn_shared' }).apply(x) });
    const ha = new Dense({ units: 1, name: 'gn_a', trainable: false });
    const hb = new Dense({ units: 1, name: 'gn_b', trainable: false });
    const mt = new MultiTaskModel({ trunk, tasks: { a: { head: ha, loss: 'mse' }, b: { head: hb, loss: 'mse' } } });
    hb.kernel!.assign(tf.mul(ha.kernel!, 2));
    hb.bias!.assign(tf.mul(ha.bias!, 2));
    const rng = createRng(3);
    const xs = randomTensor([256, 3], rng);
    const y = randomTensor([256, 1], rng);
    const balancer = new GradNorm({ alpha: 1.5, learningRate: 0.05 });
    mt.compile({ optimizer: new SGD({ learningRate: 0.01 }), balancer });
    const history = await mt.fit(xs, { a: y, b: tf.mul(y, 2) }, { epochs: 10, batchSize: 32 });
    const trace = history.history['a_weight']!;
    expect(trace).toHaveLength(10);
    // Sign-gradient updates oscillate around the equilibrium: average the last epochs.
    const late = trace.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(late).toBeCloseTo(1.6, 1);
    const [wa, wb] = balancer.weights();
    expect(wa! + wb!).toBeCloseTo(2, 6);
    expect(wa! / wb!).toBeGreaterThan(3.2);
    expect(wa! / wb!).toBeLessThan(5);
    expect(() => new GradNorm({ alpha: -1 })).toThrow(/alpha must be a number >= 0/);
  });
});

describe('PCGrad', () => {
  it('projects conflicting gradients as g_i − (g_i·g_j/‖g_j‖²)·g_j and leaves agreeing ones alone', () => {
    const g1 = [1, 0, 2];
    const g2 = [-1, 1, 0];
    const g3 = [0, 1, 1];
    const out = pcgradProject([tf.tensor1d(g1), tf.tensor1d(g2), tf.tensor1d(g3)], createRng(0), [
      [1, 2],
      [0, 2],
      [0, 1],
    ]).map((t) => Array.from(t.dataSync()));
    // g1·g2 = −1 < 0: g1' = g1 + (1/2)·g2 = [0.5, 0.5, 2]; then g1'·g3 = 2.5 ≥ 0: unchanged.
    const p1 = g1.map((v, i) => v - (dot(g1, g2) / dot(g2, g2)) * g2[i]!);
    expect(dot(p1, g3)).toBeGreaterThan(0);
    out[0]!.forEach((v, i) => expect(v).toBeCloseTo(p1[i]!, 6));
    // g2·g1 = −1: g2' = g2 + (1/5)·g1 = [−0.8, 1, 0.4]; g2'·g3 = 1.4 ≥ 0.
    const p2 = g2.map((v, i) => v - (dot(g2, g1) / dot(g1, g1)) * g1[i]!);
    out[1]!.forEach((v, i) => expect(v).toBeCloseTo(p2[i]!, 6));
    // g3 conflicts with nobody.
    expect(out[2]).toEqual(g3);
    // After projection the pair no longer conflicts.
    expect(dot(out[0]!, g2)).toBeCloseTo(0, 6);
  });

  it('a training step applies the sum of projected shared gradients (SGD, lr 1), leaking nothing', async () => {
    const mt = twoRegressionTasks({ units: 2 });
    const rng = createRng(5);
    const x = randomTensor([8, 3], rng);
    const ya = tf.mul(randomTensor([8, 1], rng, { min: 1, max: 2 }), 10);
    const yb = tf.neg(ya);
    // Same head on both tasks and large opposite targets: the shared gradients conflict.
    const [headA, headB] = mt.taskVariables;
    headB!.forEach((v, i) => v.assign(headA![i]!));
    const shared = mt.sharedVariables;
    const task = (y: tf.Tensor, i: number): number[] => {
      const { grads, value } = tf.variableGrads(
        () => tf.losses.meanSquaredError(y, (mt.model.call(x, { training: true }) as tf.Tensor[])[i]!) as tf.Scalar,
        shared,
      );
      value.dispose();
      return shared.flatMap((v) => Array.from(grads[v.name]!.dataSync()));
    };
    const ga = task(ya, 0);
    const gb = task(yb, 1);
    expect(dot(ga, gb)).toBeLessThan(0);
    const pa = ga.map((v, i) => v - (dot(ga, gb) / dot(gb, gb)) * gb[i]!);
    const pb = gb.map((v, i) => v - (dot(gb, ga) / dot(ga, ga)) * ga[i]!);
    const before = shared.flatMap((v) => Array.from(v.dataSync()));
    mt.compile({ optimizer: new SGD({ learningRate: 1 }), balancer: new PCGrad() });
    await mt.fit(x, { a: ya, b: yb }, { batchSize: 8, shuffle: false });
    const after = shared.flatMap((v) => Array.from(v.dataSync()));
    after.forEach((w, i) => expect(w).toBeCloseTo(before[i]! - (pa[i]! + pb[i]!), 4));
    const small = { a: tf.div(ya, 20), b: tf.div(yb, 20) };
    const fresh = twoRegressionTasks();
    fresh.compile({ optimizer: new SGD({ learningRate: 0.01 }), balancer: new PCGrad() });
    await expectNoTensorLeaks(async () => {
      await fresh.fit(x, small, { batchSize: 4, epochs: 2 });
    });
  });
});
