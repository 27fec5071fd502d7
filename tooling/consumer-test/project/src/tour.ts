// Process 3: the front doors of core (RNG), datasets (batching), transfer (freeze + new head),
// multitask (a tiny fit) and recommenders (fit, recommend, save, load), on wasm.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@plasticity/core';
import { registerFileRouter } from '@plasticity/core/node';
import '@plasticity/backend-wasm/register';
import { batches } from '@plasticity/datasets';
import { Dense, Model, Sequential, input } from '@plasticity/layers';
import { MultiTaskModel, UncertaintyWeighting } from '@plasticity/multitask';
import { Adam } from '@plasticity/optimizers';
import { Interactions, Recommender, SVD, registerBuiltinRecommenders } from '@plasticity/recommenders';
import { freeze, replaceHead } from '@plasticity/transfer';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: node out/tour.js <scratch dir>');
await useBackend('wasm');
registerFileRouter();
const out: Record<string, unknown> = {};

// core: PCG32's published reference output (pcg32-demo, seed 42, stream 54).
const rng = createRng(42, { stream: 54 });
out.rng = Array.from({ length: 3 }, () => rng.nextUint32());

// datasets: seeded shuffling, every sample once per epoch, the same order for the same seed.
const order = (seed: number): number[][] => {
  const data = batches({
    x: tf.range(0, 10).reshape([10, 1]),
    y: tf.zeros([10, 1]),
    batchSize: 4,
    shuffle: true,
    seed,
  });
  return Array.from(data, (batch) => Array.from(batch.x.dataSync()));
};
out.batches = order(1);
out.batchesAgain = order(1);

// transfer: a new head on a "pretrained" base; the frozen block's weights stay bit-identical.
const pretrained = new Sequential({
  layers: [
    new Dense({ units: 8, activation: 'relu', inputShape: [4], name: 'block1' }),
    new Dense({ units: 5, activation: 'softmax', name: 'old_head' }),
  ],
});
const tuned = replaceHead(pretrained, new Dense({ units: 2, activation: 'softmax', name: 'head' }));
out.frozen = freeze(tuned, 'block1');
const block1 = (tuned.getLayer('block1') as Dense).kernel!;
const head = (tuned.getLayer('head') as Dense).kernel!;
const block1Before = Array.from(block1.dataSync());
const headBefore = Array.from(head.dataSync());
tuned.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy' });
const tx = tf.randomNormal([64, 4], 0, 1, 'float32', 3);
const ty = tf.cast(tf.greater(tf.slice(tx, [0, 0], [64, 1]).reshape([64]), 0), 'float32');
await tuned.fit(tx, ty, { epochs: 3, batchSize: 16 });
out.frozenUnchanged = Array.from(block1.dataSync()).every((v, i) => v === block1Before[i]);
out.headChanged = Array.from(head.dataSync()).some((v, i) => v !== headBefore[i]);

// multitask: a shared trunk with a regression and a classification head.
const mx = input({ shape: [4] });
const trunk = new Model({ inputs: mx, outputs: new Dense({ units: 16, activation: 'relu' }).apply(mx) });
const mt = new MultiTaskModel({
  trunk,
  tasks: {
    price: { head: new Dense({ units: 1 }), loss: 'mse' },
    sold: { head: new Dense({ units: 1, activation: 'sigmoid' }), loss: 'binaryCrossentropy' },
  },
});
const xs = tf.randomNormal([128, 4], 0, 1, 'float32', 5);
const price = tf.sum(xs, 1, true);
const sold = tf.cast(tf.greater(price, 0), 'float32');
mt.compile({ optimizer: new Adam({ learningRate: 0.02 }), balancer: new UncertaintyWeighting() });
const mtHistory = await mt.fit(xs, { price, sold }, { epochs: 8 });
out.multitask = mtHistory.history['price_loss'];

// recommenders: users 0–19 like even items, 20–39 odd ones; each has not seen 4 of the 20
// (user 0: items 6, 7, 14, 15), so its top 2 unseen must be items 6 and 14.
const users: number[] = [];
const items: string[] = [];
const values: number[] = [];
for (let u = 0; u < 40; u++) {
  for (let i = 0; i < 20; i++) {
    if ((u + Math.floor(i / 2)) % 4 === 3) continue; // unseen
    users.push(u);
    items.push(`item${i}`);
    values.push((i % 2 === 0) === u < 20 ? 5 : 1);
  }
}
const data = Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
const svd = await new SVD({ factors: 4, epochs: 60, learningRate: 0.02, seed: 1 }).fit(data);
const recs = svd.recommend(0, 2);
await svd.save(`file://${dir}/svd`);
registerBuiltinRecommenders(); // saved models load by class name
const again = await Recommender.load(`file://${dir}/svd`);
out.recommendations = recs.map((r) => r.item);
out.recommendationsAfterLoad = again.recommend(0, 2).map((r) => r.item);
out.seenByUser0 = items.filter((_, k) => users[k] === 0);
console.log(JSON.stringify(out));
