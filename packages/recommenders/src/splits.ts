/**
 * Splitting interactions into train and test parts: random, per user (leave-last-out by time,
 * leave-k-out at random), temporal (a global cutoff) and k-fold (as Surprise's `KFold`). Every
 * random split is seeded. Parts share the data's id maps (see {@link Interactions.subset}); users
 * or items with no training interactions are unknown to a model fitted on the train part.
 *
 * @example
 * ```ts
 * const { train, test } = trainTestSplit(data, { testSize: 0.2, seed: 1 });
 * for (const fold of kFold(data, { folds: 5, seed: 1 })) await new SVD().fit(fold.train);
 * const { train: past, test: future } = leaveLastOut(data); // needs timestamps
 * ```
 */
import { ValueError, createRng, describeValue } from '@plasticity/core';
import type { Interactions } from './interactions.js';

/** One train/test split; `trainRows`/`testRows` index the original interactions. */
export interface Split {
  /** The training part (sharing the id maps of the whole set). */
  train: Interactions;
  /** The held-out part. */
  test: Interactions;
  /** Row numbers of the training interactions in the whole set. */
  trainRows: Int32Array;
  /** Row numbers of the held-out interactions in the whole set. */
  testRows: Int32Array;
}

function makeSplit(data: Interactions, inTest: Uint8Array): Split {
  let nTest = 0;
  for (const t of inTest) nTest += t;
  if (nTest === 0 || nTest === data.size) {
    throw new ValueError(
      `The split leaves the ${nTest === 0 ? 'test' : 'train'} part empty (${data.size} interactions); ` +
        `change its size or use more data.`,
      { field: 'testSize', value: nTest },
    );
  }
  const testRows = new Int32Array(nTest);
  const trainRows = new Int32Array(data.size - nTest);
  let a = 0;
  let b = 0;
  for (let k = 0; k < data.size; k++) {
    if (inTest[k]) testRows[a++] = k;
    else trainRows[b++] = k;
  }
  return { train: data.subset(trainRows), test: data.subset(testRows), trainRows, testRows };
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ValueError(`seed must be a non-negative integer, got ${describeValue(seed)}.`, {
      field: 'seed',
      value: seed,
    });
  }
  return seed;
}

/** How many test rows `testSize` means: a fraction in (0, 1) or a count. */
function testCount(size: number, testSize: number): number {
  if (testSize > 0 && testSize < 1) return Math.ceil(testSize * size);
  if (Number.isInteger(testSize) && testSize >= 1 && testSize < size) return testSize;
  throw new ValueError(
    `testSize must be a fraction in (0, 1) or a count in [1, ${size - 1}], got ${describeValue(testSize)}.`,
    { field: 'testSize', value: testSize },
  );
}

/** Options of {@link trainTestSplit}. */
export interface RandomSplitOptions {
  /** Fraction (0, 1) or number of interactions in the test part. Default 0.2. */
  testSize?: number;
  /** Default 0. */
  seed?: number;
}

/** A random train/test split of the interactions (Surprise's `train_test_split`). */
export function trainTestSplit(data: Interactions, options: RandomSplitOptions = {}): Split {
  const n = testCount(data.size, options.testSize ?? 0.2);
  const perm = createRng(checkSeed(options.seed ?? 0)).permutation(data.size);
  const inTest = new Uint8Array(data.size);
  for (let k = 0; k < n; k++) inTest[perm[k]!] = 1;
  return makeSplit(data, inTest);
}

/** Options of {@link kFold}. */
export interface KFoldOptions {
  /** Number of folds. Default 5. */
  folds?: number;
  /** Shuffle before cutting into folds (default true). */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
}

/**
 * K-fold cross-validation splits (Surprise's `KFold`): the interactions are shuffled, then cut into
 * `folds` contiguous parts whose sizes differ by at most one (the first `size % folds` get the
 * extra one); fold `f` tests on part `f` and trains on the rest.
 */
export function kFold(data: Interactions, options: KFoldOptions = {}): Split[] {
  const folds = options.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2 || folds > data.size) {
    throw new ValueError(`folds must be an integer in [2, ${data.size}], got ${describeValue(folds)}.`, {
      field: 'folds',
      value: folds,
    });
  }
  const order =
    options.shuffle === false
      ? Uint32Array.from({ length: data.size }, (_, k) => k)
      : createRng(checkSeed(options.seed ?? 0)).permutation(data.size);
  const splits: Split[] = [];
  let stop = 0;
  for (let f = 0; f < folds; f++) {
    const start = stop;
    stop += Math.floor(data.size / folds) + (f < data.size % folds ? 1 : 0);
    const inTest = new Uint8Array(data.size);
    for (let k = start; k < stop; k++) inTest[order[k]!] = 1;
    splits.push(makeSplit(data, inTest));
  }
  return splits;
}

function requireTimestamps(data: Interactions, what: string): Float64Array {
  if (data.timestamps === undefined) {
    throw new ValueError(`${what} needs timestamps; build the interactions with timestamps: [...].`, {
      field: 'timestamps',
      value: undefined,
    });
  }
  return data.timestamps;
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) {
    throw new ValueError(`k must be a positive integer, got ${describeValue(k)}.`, { field: 'k', value: k });
  }
  return k;
}

/** Options of {@link leaveKOut} and {@link leaveLastOut}. */
export interface LeaveOutOptions {
  /** Interactions per user held out. Default 1. */
  k?: number;
  /** Users with at most this many interactions stay entirely in train. Default `k` (so every test user keeps one training interaction). */
  minTrain?: number;
}

/** Rows of each user, in row order. */
function userRows(data: Interactions): number[][] {
  const rows: number[][] = Array.from({ length: data.numUsers }, () => []);
  for (let k = 0; k < data.size; k++) rows[data.users[k]!]!.push(k);
  return rows;
}

/**
 * Per user, the `k` latest interactions (by timestamp; later rows win ties) go to test. Users with
 * `k` or fewer interactions stay in train.
 */
export function leaveLastOut(data: Interactions, options: LeaveOutOptions = {}): Split {
  const time = requireTimestamps(data, 'leaveLastOut');
  const k = checkK(options.k ?? 1);
  const minTrain = options.minTrain ?? k;
  const inTest = new Uint8Array(data.size);
  for (const rows of userRows(data)) {
    if (rows.length <= minTrain) continue;
    rows.sort((a, b) => time[a]! - time[b]! || a - b);
    for (let j = rows.length - k; j < rows.length; j++) inTest[rows[j]!] = 1;
  }
  return makeSplit(data, inTest);
}

/** Per user, `k` interactions drawn at random go to test; users with `k` or fewer stay in train. */
export function leaveKOut(data: Interactions, options: LeaveOutOptions & { seed?: number } = {}): Split {
  const k = checkK(options.k ?? 1);
  const minTrain = options.minTrain ?? k;
  const rng = createRng(checkSeed(options.seed ?? 0));
  const inTest = new Uint8Array(data.size);
  for (const rows of userRows(data)) {
    if (rows.length <= minTrain) continue;
    rng.shuffle(rows);
    for (let j = 0; j < k; j++) inTest[rows[j]!] = 1;
  }
  return makeSplit(data, inTest);
}

/** Options of {@link temporalSplit}. */
export interface TemporalSplitOptions {
  /** Interactions at or after this time are the test part. */
  cutoff?: number;
  /** Or: the latest fraction of interactions (by time) are the test part. Default 0.2. */
  testSize?: number;
}

/** A global temporal split: everything before the cutoff trains, the rest tests. */
export function temporalSplit(data: Interactions, options: TemporalSplitOptions = {}): Split {
  const time = requireTimestamps(data, 'temporalSplit');
  let cutoff = options.cutoff;
  if (cutoff === undefined) {
    const n = testCount(data.size, options.testSize ?? 0.2);
    const sorted = Float64Array.from(time).sort();
    cutoff = sorted[data.size - n]!;
  } else if (!Number.isFinite(cutoff)) {
    throw new ValueError(`cutoff must be a finite time, got ${describeValue(cutoff)}.`, {
      field: 'cutoff',
      value: cutoff,
    });
  }
  const inTest = new Uint8Array(data.size);
  for (let k = 0; k < data.size; k++) inTest[k] = time[k]! >= cutoff ? 1 : 0;
  return makeSplit(data, inTest);
}
