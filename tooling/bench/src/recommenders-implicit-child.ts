/**
 * Recommenders on MovieLens ml-latest-small (every rating is an implicit interaction), split
 * leave-last-out per user (each user's latest rating is the test item): precision@10 / NDCG@10
 * and fit time per model, then the all-users × all-items top-10 serving time for ALS and the
 * typed-array vs tensor engine comparisons. Prints a report on stdout.
 *
 * Usage: node dist/recommenders-implicit-child.js [path/to/ratings.csv]  (default: ../shared/data/ml-latest-small/ratings.csv)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import {
  ALS,
  BPR,
  EASE,
  Interactions,
  ItemItem,
  NeuMF,
  Popularity,
  TwoTower,
  evaluateRanking,
  type Recommender,
} from '@plasticity/recommenders';

const candidates = [
  process.argv[2],
  process.env['MOVIELENS_RATINGS'],
  '/work/shared/data/ml-latest-small/ratings.csv',
  resolve(process.cwd(), '../../../shared/data/ml-latest-small/ratings.csv'),
].filter((p): p is string => p !== undefined);
const path = candidates.find((p) => existsSync(p));
if (path === undefined) {
  console.log(
    `recommenders bench skipped: ml-latest-small ratings.csv not found (looked in ${candidates.join(', ')}); ` +
      'pass its path as an argument or set MOVIELENS_RATINGS.',
  );
  process.exit(0);
}

registerBackendPlugin(wasmBackend);
registerBackendPlugin(cpuBackend);
await useBackend('wasm');

// Minimal loader: ratings.csv is numeric, no quoting (userId,movieId,rating,timestamp).
const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
const users = new Int32Array(lines.length);
const items = new Int32Array(lines.length);
const times = new Float64Array(lines.length);
lines.forEach((line, k) => {
  const [u, i, , t] = line.split(',');
  users[k] = Number(u);
  items[k] = Number(i);
  times[k] = Number(t);
});
const all = Interactions.fromArrays({ users, items, timestamps: times });
// Leave-last-out: each user's latest interaction (the later row on ties) is the test item.
const last = new Map<number, number>();
for (let k = 0; k < all.size; k++) {
  const u = all.users[k]!;
  const prev = last.get(u);
  if (prev === undefined || all.timestamps![k]! >= all.timestamps![prev]!) last.set(u, k);
}
const testRows = [...last.values()].sort((a, b) => a - b);
const isTest = new Uint8Array(all.size);
for (const r of testRows) isTest[r] = 1;
const trainRows: number[] = [];
for (let k = 0; k < all.size; k++) if (!isTest[k]) trainRows.push(k);
const train = all.subset(trainRows);
const test = all.subset(testRows);
console.log(
  `MovieLens ml-latest-small: ${all.size} interactions, ${all.numUsers} users, ${all.numItems} items; ` +
    `leave-last-out: ${train.size} train / ${test.size} test; backend ${tf.getBackend()}, Node ${process.version}`,
);

const rows: Record<string, Record<string, string>> = {};
async function bench(name: string, make: () => Recommender): Promise<Recommender> {
  const start = performance.now();
  const model = await make().fit(train);
  const fitMs = performance.now() - start;
  const t0 = performance.now();
  const report = evaluateRanking(model, train, test, { k: 10, metrics: ['precision', 'ndcg', 'hitRate', 'coverage'] });
  const evalMs = performance.now() - t0;
  rows[name] = {
    'precision@10': report.mean['precision']!.toFixed(4),
    'NDCG@10': report.mean['ndcg']!.toFixed(4),
    'hit rate@10': report.mean['hitRate']!.toFixed(3),
    coverage: report.mean['coverage']!.toFixed(3),
    'fit s': (fitMs / 1000).toFixed(2),
    'eval s': (evalMs / 1000).toFixed(2),
  };
  console.log(`  ${name}: ${JSON.stringify(rows[name])}`);
  return model;
}

const only = process.env['RECS_ONLY']?.split(',');
const want = (name: string): boolean => only === undefined || only.some((o) => name.startsWith(o));
if (want('Popularity')) await bench('Popularity', () => new Popularity());
const als = want('ALS')
  ? await bench(
      'ALS f=64 it=15 α=10 λ=0.1',
      () => new ALS({ factors: 64, iterations: 15, alpha: 10, regularization: 0.1 }),
    )
  : undefined;
if (want('TwoTower')) {
  await bench('TwoTower d=32 ep=10 (logQ)', () => new TwoTower({ factors: 32, epochs: 10, batchSize: 256 }));
}
if (want('BPR'))
  await bench('BPR f=64 ep=40', () => new BPR({ factors: 64, epochs: 40, learningRate: 0.05, regularization: 0.002 }));
if (want('ItemItem')) {
  await bench('ItemItem cosine K=50', () => new ItemItem({ neighbours: 50 }));
  await bench('ItemItem bm25 K=50', () => new ItemItem({ similarity: 'bm25', neighbours: 50 }));
}
let easeArrays: EASE | undefined;
if (want('EASE')) {
  easeArrays = (await bench(
    'EASE λ=250 (items ≥ 10, arrays)',
    () => new EASE({ regularization: 250, minItemCount: 10 }),
  )) as EASE;
  await bench(
    'EASE λ=250 (items ≥ 10, tensors)',
    () => new EASE({ regularization: 250, minItemCount: 10, solver: 'tensors' }),
  );
}
if (want('NeuMF')) {
  await bench(
    'NeuMF f=16 [32,16,8] ep=6',
    () => new NeuMF({ factors: 16, layers: [32, 16, 8], epochs: 6, negatives: 4, batchSize: 256 }),
  );
}
console.table(rows);
if (easeArrays !== undefined)
  console.log(`EASE models ${easeArrays.modelledItems} items (items with ≥ 10 training interactions).`);

if (als !== undefined) {
  const ids = all.userIds.toArray();
  const time = (label: string): number => {
    const t0 = performance.now();
    const out = als.recommendBatch(ids, 10);
    const ms = performance.now() - t0;
    if (out.length !== ids.length) throw new Error('recommendBatch returned the wrong number of lists');
    console.log(
      `ALS recommendBatch, ${ids.length} users × ${all.numItems} items, k=10, ${label}: ${(ms / 1000).toFixed(2)} s`,
    );
    return ms;
  };
  (als as ALS).scoring = 'arrays';
  time('typed arrays (warm-up)');
  const arrays = time('typed arrays');
  (als as ALS).scoring = 'tensors';
  time('tensors (warm-up)');
  const tensors = time(`tensors on ${tf.getBackend()}`);
  const t0 = performance.now();
  for (const id of ids) als.recommend(id, 10);
  const single = performance.now() - t0;
  console.log(`ALS recommend() one user at a time on tensors: ${(single / 1000).toFixed(2)} s`);
  console.log(`ALS batch scoring, typed arrays / tensors: ${(arrays / tensors).toFixed(2)}×`);
}
