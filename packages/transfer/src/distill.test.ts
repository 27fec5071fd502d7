import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Dense, Sequential } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { distill, distillationLoss } from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

function softmax(z: number[], T = 1): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp((v - m) / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const teacher = [
  [2, 0.5, -1],
  [0, 1, 3],
];
const student = [
  [1, 1, 0],
  [0.5, -0.5, 2],
];
const labels = [0, 2];

describe('distillationLoss', () => {
  it('equals (1−α)·T²·KL(p_T‖q_T) + α·CE computed by hand', () => {
    const T = 3;
    const alpha = 0.25;
    let kl = 0;
    let ce = 0;
    teacher.forEach((t, b) => {
      const p = softmax(t, T);
      const q = softmax(student[b]!, T);
      kl += p.reduce((acc, pi, i) => acc + pi * Math.log(pi / q[i]!), 0) / 2;
      ce += -Math.log(softmax(student[b]!)[labels[b]!]!) / 2;
    });
    const expected = (1 - alpha) * T * T * kl + alpha * ce;
    const loss = distillationLoss(tf.tensor2d(teacher), tf.tensor2d(student), {
      temperature: T,
      alpha,
      labels: tf.tensor1d(labels, 'int32'),
    });
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    const soft = distillationLoss(tf.tensor2d(teacher), tf.tensor2d(student), { temperature: T });
    expect(soft.dataSync()[0]).toBeCloseTo(T * T * kl, 5);
  });

  it('has gradient T·(q_T − p_T)/batch with respect to the student logits (the T² scaling)', () => {
    const T = 2;
    const g = tf.grad((s: tf.Tensor) => distillationLoss(tf.tensor2d(teacher), s, { temperature: T }))(
      tf.tensor2d(student),
    );
    const got = g.arraySync() as number[][];
    teacher.forEach((t, b) => {
      const p = softmax(t, T);
      const q = softmax(student[b]!, T);
      q.forEach((qi, i) => expect(got[b]![i]).toBeCloseTo((T * (qi - p[i]!)) / 2, 5));
    });
  });

  it('is zero when the student matches the teacher, and rejects bad options and shapes', () => {
    const t = tf.tensor2d(teacher);
    expect(distillationLoss(t, t, { temperature: 5 }).dataSync()[0]).toBeCloseTo(0, 6);
    expect(() => distillationLoss(t, t, { temperature: 0 })).toThrow(ValueError);
    expect(() => distillationLoss(t, t, { alpha: 2 })).toThrow(/alpha must be in \[0, 1\]/);
    expect(() => distillationLoss(t, tf.ones([2, 4]))).toThrow(/same shape/);
  });
});

describe('distill', () => {
  it('brings a student close to its teacher without labels, leaking nothing', async () => {
    const rng = createRng(11);
    const x = randomTensor([128, 4], rng, { min: -1, max: 1 });
    const t = new Sequential({
      layers: [new Dense({ units: 8, activation: 'tanh', inputShape: [4] }), new Dense({ units: 3 })],
    });
    const s = new Sequential({
      layers: [new Dense({ units: 8, activation: 'tanh', inputShape: [4] }), new Dense({ units: 3 })],
    });
    const optimizer = new Adam({ learningRate: 0.02 });
    const first = await distill(t, s, x, { optimizer, epochs: 1, temperature: 2, batchSize: 32 });
    let losses: number[] = [];
    await expectNoTensorLeaks(async () => {
      losses = await distill(t, s, x, { optimizer, epochs: 40, temperature: 2, batchSize: 32 });
    });
    expect(losses[losses.length - 1]!).toBeLessThan(first[0]! * 0.1);
    const agree = tf.tidy(() =>
      tf.mean(
        tf.cast(tf.equal(tf.argMax(t.predict(x) as tf.Tensor, 1), tf.argMax(s.predict(x) as tf.Tensor, 1)), 'float32'),
      ),
    );
    expect(agree.dataSync()[0]).toBeGreaterThan(0.9);
  });
});
