import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, memoryIO, registerBackendPlugin, useBackend, type TrainingEvent } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { expectNoTensorLeaks } from '@plasticity/test-utils';
import { Interactions } from './interactions.js';
import { evaluateRanking } from './metrics/ranking.js';
import { NeuMF, TwoTower } from './neural.js';
import { Popularity } from './popularity.js';
import { Recommender } from './recommender.js';
import { syntheticGroups } from './testing/synthetic.js';
import { registerBuiltinRecommenders } from './builtins.js';

// Loading a saved model looks its class up by name: register the built-ins once.
registerBuiltinRecommenders();

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const tiny = Interactions.fromArrays({
  users: ['a', 'a', 'b', 'b', 'c', 'c', 'd'],
  items: [1, 2, 2, 3, 3, 4, 1],
});

/** Weights of a model, read through save (what the artifact holds), in layer order. */
function weightsOf(model: Recommender): Float32Array[] {
  const artifacts = model.toArtifacts();
  const buffer = artifacts.weightData as ArrayBuffer;
  const out: Float32Array[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs!) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name.startsWith('state/w')) out.push(new Float32Array(buffer.slice(offset, offset + n * 4)));
    offset += n * 4;
  }
  return out;
}

/**
 * Trains `make()` for 1,000 steps (tiny data, one step an epoch) and checks, at every epoch event,
 * that the tensor count stays where it was after the first epoch, and that the run ends where it
 * started once the model is disposed.
 */
async function expectFlatOver1000Steps(make: () => Recommender & { dispose(): void }, label: string): Promise<void> {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const events: TrainingEvent[] = [];
  const model = make();
  await model.fit(tiny, {
    onProgress: (e) => {
      events.push(e);
      if (e.type === 'epoch') counts.push(tf.memory().numTensors);
    },
  });
  expect(events[0]).toEqual(expect.objectContaining({ type: 'begin', label, epochs: 1000, steps: 1 }));
  expect(events.filter((e) => e.type === 'batch')).toHaveLength(1000);
  expect(counts).toHaveLength(1000);
  expect(new Set(counts).size, `${counts[0]} → ${counts.at(-1)}`).toBe(1);
  expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'end' }));
  model.dispose();
  expect(tf.memory().numTensors).toBe(before);
}

describe('NeuMF', () => {
  it('holds the tensor count flat over 1,000 training steps', { timeout: 120_000 }, async () => {
    // 7 interactions × (1 + 1 negative) = 14 rows: one batch of 14 an epoch.
    await expectFlatOver1000Steps(
      () => new NeuMF({ factors: 2, layers: [4, 2], negatives: 1, epochs: 1000, batchSize: 14 }),
      'NeuMF',
    );
  });

  it('reports one end event, with the error, when training fails, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const events: TrainingEvent[] = [];
    const model = new NeuMF({ factors: 2, layers: [4, 2], epochs: 3, batchSize: 4 });
    let batches = 0;
    await expect(
      model.fit(tiny, {
        onProgress: (e) => {
          events.push(e);
          if (e.type === 'batch' && ++batches === 2) throw new Error('listener failed');
        },
      }),
    ).rejects.toThrow('listener failed');
    expect(events.filter((e) => e.type === 'end')).toEqual([expect.objectContaining({ error: 'listener failed' })]);
    model.dispose();
    // The failed step's batch and the optimizer's slots are freed: only the (disposed) model held tensors.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predicts σ(GMF ⊕ MLP · w + b) computed by hand from its weights', async () => {
    const model = await new NeuMF({ factors: 2, layers: [4, 3], epochs: 1, batchSize: 4, negatives: 1 }).fit(tiny);
    const [gu, gi, mu, mi, w1, b1, wo, bo] = weightsOf(model);
    const u = tiny.userIndex('b')!;
    const i = tiny.itemIndex(4)!;
    const gmf = [0, 1].map((k) => gu![u * 2 + k]! * gi![i * 2 + k]!);
    const x = [mu![u * 2]!, mu![u * 2 + 1]!, mi![i * 2]!, mi![i * 2 + 1]!];
    const h = [0, 1, 2].map((c) => Math.max(0, b1![c]! + x.reduce((s, v, r) => s + v * w1![r * 3 + c]!, 0)));
    const z = bo![0]! + [...gmf, ...h].reduce((s, v, r) => s + v * wo![r]!, 0);
    expect(model.predict('b', 4).estimate).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    expect(model.scoreAll('b')[i]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    model.dispose();
  });

  it(
    'trains without leaking tensors, loss falls, and beats popularity on latent groups',
    { timeout: 120_000 },
    async () => {
      const { train, test } = syntheticGroups(2, { users: 120, items: 24, perUser: 8 });
      const losses: number[] = [];
      const before = tf.memory().numTensors;
      const model = await new NeuMF({
        factors: 8,
        layers: [16, 8],
        epochs: 8,
        batchSize: 256,
        learningRate: 0.02,
        seed: 1,
      }).fit(train, { onProgress: (e) => void (e.type === 'epoch' && losses.push(e.metrics['loss']!)) });
      expect(losses).toHaveLength(8);
      expect(losses[7]!).toBeLessThan(losses[0]!);
      const pop = evaluateRanking(await new Popularity().fit(train), train, test, { k: 10, metrics: ['precision'] });
      const ncf = await expectNoTensorLeaks(() =>
        evaluateRanking(model, train, test, { k: 10, metrics: ['precision'] }),
      );
      expect(ncf.mean['precision']!).toBeGreaterThan(1.2 * pop.mean['precision']!);
      await expectNoTensorLeaks(() => model.recommendBatch(['u1', 'u2', 'nobody'], 5));
      await expectNoTensorLeaks(() => model.similarItems('i1', 3));
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('save/load gives identical scores; bad settings are rejected', async () => {
    const model = await new NeuMF({ factors: 2, layers: [4, 2], epochs: 1 }).fit(tiny);
    await model.save(memoryIO('neumf'));
    const loaded = await Recommender.load<NeuMF>(memoryIO('neumf'));
    expect(loaded.scoreAll('a')).toEqual(model.scoreAll('a'));
    model.dispose();
    loaded.dispose();
    expect(() => new NeuMF({ layers: [] })).toThrow(/layers must be a non-empty list/);
    expect(() => new NeuMF({ negatives: 0 })).toThrow(/negatives must be a positive integer/);
    const bad = Interactions.fromArrays({ users: [1], items: [1], values: [-1] });
    await expect(new NeuMF().fit(bad)).rejects.toThrow(/non-negative implicit weights/);
  });
});

describe('TwoTower', () => {
  it('holds the tensor count flat over 1,000 training steps (logQ on)', { timeout: 120_000 }, async () => {
    await expectFlatOver1000Steps(() => new TwoTower({ dim: 2, epochs: 1000, batchSize: 7 }), 'TwoTower');
  });

  it('in-batch loss is softmax cross-entropy over the batch with same-item rows masked (by hand)', async () => {
    const model = await new TwoTower({ dim: 3, epochs: 1, temperature: 0.5 }).fit(tiny);
    const [ue, ie] = weightsOf(model);
    const unit = (m: Float32Array, r: number): number[] => {
      const v = [0, 1, 2].map((k) => m[r * 3 + k]!);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    // Batch: users a, b, c with items 1, 2, 1 (rows 0 and 2 share item 1: not negatives of each other).
    const us = ['a', 'b', 'c'].map((u) => tiny.userIndex(u)!);
    const is = [1, 2, 1].map((i) => tiny.itemIndex(i)!);
    let want = 0;
    for (let r = 0; r < 3; r++) {
      const logits = is.map((i, c) => {
        if (c !== r && i === is[r]) return -Infinity;
        return unit(ue!, us[r]!).reduce((s, v, k) => s + v * unit(ie!, i)[k]!, 0) / 0.5;
      });
      const lse = Math.log(logits.reduce((s, l) => s + Math.exp(l), 0));
      want += (lse - logits[r]!) / 3;
    }
    const loss = model.inBatchLoss(tf.tensor1d(us, 'int32'), tf.tensor1d(is, 'int32'));
    expect(loss.dataSync()[0]).toBeCloseTo(want, 5);
    // With the logQ correction, column c's logit loses log q of its item.
    const logQ = [Math.log(0.5), Math.log(0.2), Math.log(0.5)];
    let wantCorrected = 0;
    for (let r = 0; r < 3; r++) {
      const logits = is.map((i, c) => {
        if (c !== r && i === is[r]) return -Infinity;
        return unit(ue!, us[r]!).reduce((s, v, k) => s + v * unit(ie!, i)[k]!, 0) / 0.5 - logQ[c]!;
      });
      const lse = Math.log(logits.reduce((s, l) => s + Math.exp(l), 0));
      wantCorrected += (lse - logits[r]!) / 3;
    }
    const corrected = model.inBatchLoss(tf.tensor1d(us, 'int32'), tf.tensor1d(is, 'int32'), tf.tensor1d(logQ));
    expect(corrected.dataSync()[0]).toBeCloseTo(wantCorrected, 5);
    tf.dispose([loss, corrected]);
    // Scores are cosine / nothing else: predict = unit(u)·unit(i).
    const dotted = unit(ue!, us[0]!).reduce((s, v, k) => s + v * unit(ie!, tiny.itemIndex(3)!)[k]!, 0);
    expect(model.predict('a', 3).estimate).toBeCloseTo(dotted, 5);
    model.dispose();
  });

  it(
    'trains without leaks, batch scoring equals per-user scoring, beats popularity; save/load round-trips',
    { timeout: 120_000 },
    async () => {
      const { train, test } = syntheticGroups(4, { users: 120, items: 24, perUser: 8 });
      const before = tf.memory().numTensors;
      const model = await new TwoTower({
        dim: 8,
        hidden: [16, 16],
        epochs: 15,
        batchSize: 64,
        learningRate: 0.02,
        seed: 3,
      }).fit(train);
      const users = ['u0', 'u1', 'u2', 'u3', 'stranger'];
      const batch = await expectNoTensorLeaks(() => model.recommendBatch(users, 4));
      expect(batch).toEqual(users.map((u) => model.recommend(u, 4)));
      const pop = evaluateRanking(await new Popularity().fit(train), train, test, { k: 10, metrics: ['precision'] });
      const tt = await expectNoTensorLeaks(() =>
        evaluateRanking(model, train, test, { k: 10, metrics: ['precision'] }),
      );
      expect(tt.mean['precision']!).toBeGreaterThan(1.2 * pop.mean['precision']!);
      await model.save(memoryIO('two-tower'));
      const loaded = await Recommender.load<TwoTower>(memoryIO('two-tower'));
      expect(loaded.scoreAll('u5')).toEqual(model.scoreAll('u5'));
      expect(loaded.similarItems('i3', 3)).toEqual(model.similarItems('i3', 3));
      loaded.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(() => new TwoTower({ temperature: 0 })).toThrow(/temperature must be a positive number/);
    },
  );

  it(
    'the logQ correction keeps popular items up where popularity is the only signal (seeded)',
    { timeout: 120_000 },
    async () => {
      // Every user picks items with Zipf probabilities, independent of who they are: the right
      // ranking is by popularity. In-batch softmax without the correction pushes popular items down.
      const rng = createRng(17);
      const items = 30;
      const weights = Array.from({ length: items }, (_, j) => 1 / (j + 1));
      const total = weights.reduce((a, b) => a + b, 0);
      const users: string[] = [];
      const picked: number[] = [];
      for (let u = 0; u < 150; u++) {
        const seen = new Set<number>();
        while (seen.size < 6) {
          let r = rng.uniform() * total;
          let j = 0;
          while (r > weights[j]!) r -= weights[j++]!;
          seen.add(Math.min(j, items - 1));
        }
        for (const j of seen) {
          users.push(`u${u}`);
          picked.push(j);
        }
      }
      const data = Interactions.fromArrays({ users, items: picked });
      const counts = new Array<number>(items).fill(0);
      for (const j of picked) counts[j]! += 1;
      const rankCorrelation = async (samplingCorrection: boolean): Promise<number> => {
        const model = await new TwoTower({ dim: 8, epochs: 8, batchSize: 64, seed: 2, samplingCorrection }).fit(data);
        const mean = new Array<number>(items).fill(0);
        for (let u = 0; u < 150; u++) {
          const scores = model.scoreAll(`u${u}`);
          for (let j = 0; j < items; j++) mean[j]! += scores[data.itemIndex(j)!]! / 150;
        }
        model.dispose();
        return spearman(mean, counts);
      };
      const corrected = await rankCorrelation(true);
      const plain = await rankCorrelation(false);
      expect(corrected).toBeGreaterThan(0.7);
      expect(corrected).toBeGreaterThan(plain + 0.2);
    },
  );
});

/** Spearman's rank correlation (no ties expected in the scores; counts' ties get mean ranks). */
function spearman(a: number[], b: number[]): number {
  const ranks = (v: number[]): number[] => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const out = new Array<number>(v.length);
    for (let k = 0; k < order.length;) {
      let e = k;
      while (e + 1 < order.length && order[e + 1]![0] === order[k]![0]) e++;
      for (let t = k; t <= e; t++) out[order[t]![1]] = (k + e) / 2;
      k = e + 1;
    }
    return out;
  };
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(ra);
  const mb = mean(rb);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}
