import { readFileSync } from 'node:fs';
import { CoClustering, NormalPredictor, KNNBaseline, Interactions, SVD, SVDpp, SlopeOne, KNNBasic, BaselineOnly, NMF, kFold, evaluate } from '@plasticity/recommenders';
const lines = readFileSync('/work/shared/data/ml-latest-small/ratings.csv', 'utf8').trim().split('\n').slice(1);
const u = [], i = [], r = [];
for (const l of lines) { const [a, b, c] = l.split(','); u.push(+a); i.push(+b); r.push(+c); }
const data = Interactions.fromArrays({ users: u, items: i, values: r }, { ratingScale: [0.5, 5] });
const [fold] = kFold(data, { folds: 5, seed: 0 });
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (const [name, make] of [['SVD', () => new SVD()], ['SVD++', () => new SVDpp()], ['SlopeOne', () => new SlopeOne()], ['KNNBasic', () => new KNNBasic()], ['NMF', () => new NMF()], ['BaselineOnly', () => new BaselineOnly()], ['CoClustering', () => new CoClustering()], ['NormalPredictor', () => new NormalPredictor()], ['KNNBaseline', () => new KNNBaseline()]].filter(([n]) => process.argv.slice(2).includes(n))) {
  fold.train.byUser(); fold.train.byItem();
  let t = cpu(); const w = performance.now();
  const m = await make().fit(fold.train);
  const fit = cpu() - t; t = cpu();
  const res = evaluate(m, fold.test);
  console.log(name, 'fit cpu', fit.toFixed(3), 'test cpu', (cpu() - t).toFixed(3), 'wall', ((performance.now() - w) / 1000).toFixed(2), res.metrics);
}
