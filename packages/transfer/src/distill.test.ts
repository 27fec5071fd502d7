import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, createRng, randomTensor, registerBackendPlugin, useBackend } from '@plasticity/core';
import { Callback, Dense, Sequential } from '@plasticity/layers';
import { Adam, SGD } from '@plasticity/optimizers';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Distiller, distill, distillationLoss } from './index.js';

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
    const first = (await distill(t, s, x, { optimizer, epochs: 1, temperature: 2, batchSize: 32 })).history['loss']!;
    let losses: number[] = [];
    await expectNoTensorLeaks(async () => {
      losses = (await distill(t, s, x, { optimizer, epochs: 40, temperature: 2, batchSize: 32 })).history['loss']!;
    });
    expect(losses).toHaveLength(40);
    expect(losses[losses.length - 1]!).toBeLessThan(first[0]! * 0.1);
    const agree = tf.tidy(() =>
      tf.mean(
        tf.cast(tf.equal(tf.argMax(t.predict(x) as tf.Tensor, 1), tf.argMax(s.predict(x) as tf.Tensor, 1)), 'float32'),
      ),
    );
    expect(agree.dataSync()[0]).toBeGreaterThan(0.9);
  });
});

describe('Distiller', () => {
  const pair = (): { t: Sequential; s: Sequential } => ({
    t: new Sequential({
      layers: [new Dense({ units: 6, activation: 'tanh', inputShape: [3] }), new Dense({ units: 3 })],
    }),
    s: new Sequential({
      layers: [new Dense({ units: 4, activation: 'tanh', inputShape: [3] }), new Dense({ units: 3 })],
    }),
  });

  it('one step minimises distillationLoss against the teacher (SGD, checked against its gradient)', async () => {
    const { t, s } = pair();
    const x = randomTensor([8, 3], createRng(3));
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const vars = s.trainableWeights;
    const { grads } = tf.variableGrads(
      () =>
        distillationLoss(t.predict(x) as tf.Tensor, s.apply(x) as tf.Tensor, { temperature: 3, alpha: 0.3, labels }),
      vars,
    );
    const want = vars.map((v) => {
      const w = v.dataSync();
      const g = grads[v.name]!.dataSync();
      return Array.from(w, (wi, i) => wi - 0.5 * g[i]!);
    });
    const d = new Distiller({ teacher: t, student: s });
    d.compile({ optimizer: new SGD({ learningRate: 0.5 }), temperature: 3, alpha: 0.3 });
    await d.fit(x, labels, { batchSize: 8, shuffle: false });
    vars.forEach((v, k) => Array.from(v.dataSync()).forEach((w, i) => expect(w).toBeCloseTo(want[k]![i]!, 5)));
  });

  it('reports through the loop: validation, callbacks, progress; 1,000 steps keep the tensor count flat', async () => {
    const { t, s } = pair();
    const x = randomTensor([8, 3], createRng(4));
    const counts: number[] = [];
    class Count extends Callback {
      override onEpochEnd(): void {
        counts.push(tf.memory().numTensors);
      }
    }
    const events: string[] = [];
    // 8 samples in batches of 4: 2 steps an epoch, 500 epochs = 1,000 steps.
    const history = await distill(t, s, x, {
      optimizer: new Adam({ learningRate: 0.01 }),
      epochs: 500,
      batchSize: 4,
      validationData: [x],
      callbacks: [new Count()],
      progress: (e) => events.push(e.type),
    });
    expect(history.history['loss']).toHaveLength(500);
    expect(history.history['val_loss']!.at(-1)).toBeLessThan(history.history['val_loss']![0]!);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts.at(-1)).toBe(counts[0]);
    expect(events.filter((e) => e === 'batch')).toHaveLength(1000);
    expect([events[0], events.at(-1)]).toEqual(['begin', 'end']);
  });

  it('a failing step leaks nothing (the batch is freed)', async () => {
    const { t, s } = pair();
    const x = randomTensor([16, 3], createRng(5));
    const optimizer = new Adam({ learningRate: 0.01 });
    await distill(t, s, x, { optimizer, batchSize: 4 });
    class Boom extends Callback {
      override onBatchBegin(batch: number): void {
        if (batch === 2) throw new Error('boom');
      }
    }
    await expectNoTensorLeaks(async () => {
      await expect(distill(t, s, x, { optimizer, batchSize: 4, callbacks: [new Boom()] })).rejects.toThrow('boom');
    });
  });

  it('rejects a student without a graph or trainable weights, and bad settings', async () => {
    const { t, s } = pair();
    expect(() => new Distiller({ teacher: t, student: {} as never })).toThrow(/needs a student Model/);
    const d = new Distiller({ teacher: t, student: s });
    expect(() => d.compile({ optimizer: new Adam(), temperature: -1 })).toThrow(/temperature must be a positive/);
    for (const l of s.layers) l.trainable = false;
    await expect(distill(t, s, tf.ones([2, 3]), { optimizer: new Adam() })).rejects.toThrow(/no trainable weights/);
  });
});
