/**
 * Child process of `pnpm bench`: Surprise's benchmark protocol on MovieLens ml-latest-small —
 * 5-fold KFold, default parameters — for each explicit algorithm; prints JSON rows.
 *
 * Usage: node recommenders-child.js <ratings.csv> [Algorithm ...]
 */
import { readFileSync } from 'node:fs';
import {
  BaselineOnly,
  CoClustering,
  Interactions,
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

/** A minimal reader for MovieLens `ratings.csv` (userId,movieId,rating,timestamp; no quoted fields). */
function readRatings(path: string): Interactions {
  const lines = readFileSync(path, 'utf8').split('\n');
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  const timestamps: number[] = [];
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k]!.trim();
    if (line === '') continue;
    const [u, i, r, t] = line.split(',');
    users.push(Number(u));
    items.push(Number(i));
    values.push(Number(r));
    timestamps.push(Number(t));
  }
  return Interactions.fromArrays({ users, items, values, timestamps }, { ratingScale: [0.5, 5] });
}

const [path, ...names] = process.argv.slice(2);
const data = readRatings(path!);
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
