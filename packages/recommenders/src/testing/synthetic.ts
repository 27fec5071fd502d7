/**
 * Test data with known structure (not part of the package build): users and items belong to
 * latent groups; users mostly use items of their own group, with a skewed popularity inside each
 * group. A personalised model can learn the groups; global popularity cannot.
 */
import { createRng } from '@plasticity/core';
import { Interactions } from '../interactions.js';

export interface SyntheticOptions {
  users?: number;
  items?: number;
  groups?: number;
  perUser?: number;
  /** Share of a user's interactions drawn from the whole catalogue. */
  noise?: number;
  /** Interactions per user held out for testing. */
  heldOut?: number;
}

export interface SyntheticSplit {
  all: Interactions;
  train: Interactions;
  test: Interactions;
  /** Group of each user / item index (by external id: `u${n}` / `i${n}`). */
  userGroup: Int32Array;
  itemGroup: Int32Array;
}

export function syntheticGroups(seed: number, options: SyntheticOptions = {}): SyntheticSplit {
  const { users = 200, items = 80, groups = 4, perUser = 12, noise = 0.1, heldOut = 3 } = options;
  const rng = createRng(seed);
  const userGroup = Int32Array.from({ length: users }, (_, u) => u % groups);
  const itemGroup = Int32Array.from({ length: items }, (_, i) => i % groups);
  // Zipf-like weight inside each group; group 0 items are globally the most popular.
  const weight = Float64Array.from({ length: items }, (_, i) => 1 / (1 + Math.floor(i / groups)) ** 0.7);
  const us: string[] = [];
  const is: string[] = [];
  const vs: number[] = [];
  const testRows: number[] = [];
  const trainRows: number[] = [];
  for (let u = 0; u < users; u++) {
    const chosen = new Set<number>();
    while (chosen.size < perUser) {
      const any = rng.uniform() < noise;
      let total = 0;
      for (let i = 0; i < items; i++) if (any || itemGroup[i] === userGroup[u]) total += weight[i]!;
      let pick = rng.uniform() * total;
      for (let i = 0; i < items; i++) {
        if (!(any || itemGroup[i] === userGroup[u])) continue;
        pick -= weight[i]!;
        if (pick <= 0) {
          chosen.add(i);
          break;
        }
      }
    }
    let n = 0;
    for (const i of chosen) {
      (n++ < perUser - heldOut ? trainRows : testRows).push(us.length);
      us.push(`u${u}`);
      is.push(`i${i}`);
      vs.push(1 + rng.int(3));
    }
  }
  const all = Interactions.fromArrays({ users: us, items: is, values: vs });
  return { all, train: all.subset(trainRows), test: all.subset(testRows), userGroup, itemGroup };
}
