/**
 * The recommenders rows of `pnpm bench`: Surprise's benchmark protocol (5-fold KFold, default
 * parameters) on MovieLens ml-latest-small, each algorithm in its own child process, printed next
 * to Surprise 1.1.4's published figures. Skipped with a message when the data is absent; the data
 * is never part of the repository.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RecommenderRow } from './recommenders-child.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./recommenders-child.js', import.meta.url));

/** Surprise 1.1.4's published figures on ml-latest-small: RMSE, MAE, mean fit s, mean test s. */
export const SURPRISE_REFERENCE: Record<string, [rmse: number, mae: number, fit: number, test: number]> = {
  SVD: [0.873, 0.67, 0.85, 0.17],
  NMF: [0.921, 0.705, 1.71, 0.13],
  SlopeOne: [0.901, 0.688, 5.21, 4.6],
  KNNBasic: [0.948, 0.727, 0.06, 0.89],
  KNNWithMeans: [0.897, 0.685, 0.07, 0.88],
  KNNBaseline: [0.875, 0.668, 0.16, 1.21],
  CoClustering: [0.945, 0.731, 1.34, 0.16],
  BaselineOnly: [0.873, 0.673, 0.11, 0.13],
  NormalPredictor: [1.428, 1.139, 0.07, 0.17],
  'SVD++': [0.863, 0.661, 67.49, 8.71],
};

function findMovieLensDir(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [
    process.env['MOVIELENS_SMALL_DIR'],
    join(here, '../../../../shared/data/ml-latest-small'),
    '/work/shared/data/ml-latest-small',
  ];
  for (const dir of candidates) if (dir !== undefined && existsSync(join(dir, 'ratings.csv'))) return dir;
  return undefined;
}

export async function recommendersBench(): Promise<void> {
  console.log(
    '\nRecommenders on MovieLens ml-latest-small, Surprise protocol (5-fold KFold, default parameters): ours vs Surprise 1.1.4 (published)',
  );
  const dir = findMovieLensDir();
  if (dir === undefined) {
    console.log(
      'recommenders: skipped: ml-latest-small/ratings.csv not found (set MOVIELENS_SMALL_DIR to the folder of a downloaded copy).',
    );
    return;
  }
  const table: Record<string, Record<string, string>> = {};
  for (const name of Object.keys(SURPRISE_REFERENCE)) {
    const { stdout } = await run(process.execPath, [child, dir, name], { timeout: 1_800_000, maxBuffer: 1 << 20 });
    const row = (JSON.parse(stdout) as { rows: RecommenderRow[] }).rows[0]!;
    const [rmse, mae, fit, test] = SURPRISE_REFERENCE[name]!;
    table[name] = {
      RMSE: row.rmse.toFixed(3),
      'Surprise RMSE': rmse.toFixed(3),
      ΔRMSE: (row.rmse - rmse >= 0 ? '+' : '') + (row.rmse - rmse).toFixed(3),
      MAE: row.mae.toFixed(3),
      'Surprise MAE': mae.toFixed(3),
      'fit s': row.fitS.toFixed(2),
      'test s': row.testS.toFixed(2),
      'Surprise fit s': fit.toFixed(2),
      'Surprise test s': test.toFixed(2),
      '(fit+test) / Surprise': ((row.fitS + row.testS) / (fit + test)).toFixed(2),
      'wall fit+test s': (row.fitWallS + row.testWallS).toFixed(2),
    };
  }
  console.table(table);
  console.log(
    `(ours: mean CPU seconds per fold of one single-threaded Node ${process.version} process; wall seconds beside them ` +
      `— the load average was ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end. Surprise: its published table, another machine.)`,
  );
}
