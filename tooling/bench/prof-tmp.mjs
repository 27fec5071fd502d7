import { Interactions, BaselineOnly, NormalPredictor, kFold, evaluate } from '@plasticity/recommenders';
const data = await Interactions.fromMovieLens('/work/shared/data/ml-latest-small');
const folds = kFold(data, { folds: 5, seed: 0 });
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
for (const make of [() => new BaselineOnly(), () => new NormalPredictor()]) {
  let fitT = 0, testT = 0;
  for (const fold of folds) {
    let t = cpu(); const m = await make().fit(fold.train); fitT += cpu() - t;
    t = cpu(); evaluate(m, fold.test); testT += cpu() - t;
  }
  console.log(make().constructor.name, 'fit', (fitT / 5).toFixed(3), 'test', (testT / 5).toFixed(3));
}
