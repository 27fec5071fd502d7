/**
 * Child process of `pnpm bench`: Surprise's benchmark protocol on MovieLens ml-latest-small —
 * 5-fold KFold, default parameters — for each explicit algorithm; prints JSON rows.
 *
 * Usage: node recommenders-child.js <ml-latest-small folder> [Algorithm ...]
 */
// As an app would: the wasm plugin provides the SIMD kernels SVD and NMF train with.
import '@plasticity/backend-wasm/register';
import {
  BaselineOnly,
  CoClustering,
  KNNBaseline,
  KNNBasic,
  KNNWithMeans,
  NMF,
  NormalPredictor,
  SVD,
  SVDpp,
  SlopeOne,
  crossValidate,
  kFold,
  type Recommender,
} from '@plasticity/recommenders';
import { loadMovieLensInteractions } from '@plasticity/recommenders/node';

export interface RecommenderRow {
  name: string;
  rmse: number;
  mae: number;
  /** Mean CPU seconds per fold (this process; the algorithms are single-threaded). */
  fitS: number;
  testS: number;
  /** Mean wall seconds per fold. */
  fitWallS: number;
  testWallS: number;
}

const cpuClock = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

const factories: Record<string, () => Recommender> = {
  SVD: () => new SVD(),
  NMF: () => new NMF(),
  SlopeOne: () => new SlopeOne(),
  KNNBasic: () => new KNNBasic(),
  KNNWithMeans: () => new KNNWithMeans(),
  KNNBaseline: () => new KNNBaseline(),
  CoClustering: () => new CoClustering(),
  BaselineOnly: () => new BaselineOnly(),
  NormalPredictor: () => new NormalPredictor(),
  'SVD++': () => new SVDpp(),
};

const [dir, ...names] = process.argv.slice(2);
// @plasticity/datasets' MovieLens reader; the 'latest' format has the 0.5–5 scale.
const data = await loadMovieLensInteractions(dir!);
const splits = kFold(data, { folds: 5, seed: 0 });
const rows: RecommenderRow[] = [];
for (const name of names.length > 0 ? names : Object.keys(factories)) {
  const factory = factories[name];
  if (factory === undefined) throw new Error(`Unknown algorithm ${name}; one of ${Object.keys(factories).join(', ')}.`);
  // Fit and test each fold once, timing both CPU and wall seconds.
  let wallFit = 0;
  let wallTest = 0;
  let last = 0;
  let phase = 0;
  const cv = await crossValidate(factory, data, {
    splits,
    clock: () => {
      const now = performance.now() / 1000;
      if (phase % 3 === 1) wallFit += now - last;
      else if (phase % 3 === 2) wallTest += now - last;
      phase++;
      last = now;
      return cpuClock();
    },
  });
  rows.push({
    name,
    rmse: cv.mean.rmse!,
    mae: cv.mean.mae!,
    fitS: cv.meanFitTime,
    testS: cv.meanTestTime,
    fitWallS: wallFit / splits.length,
    testWallS: wallTest / splits.length,
  });
  process.stderr.write(`${name}: ${JSON.stringify(rows.at(-1))}\n`);
}
console.log(JSON.stringify({ rows, ratings: data.size, users: data.numUsers, items: data.numItems }));
