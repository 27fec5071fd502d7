import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashFile, loadMovieLens } from './index.js';

// MovieLens ml-latest-small lives beside the repository (shared/data), never inside it.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = process.env['PLASTICITY_ML_LATEST_SMALL'] ?? resolve(repoRoot, '../shared/data/ml-latest-small');

describe('ml-latest-small (shared data)', () => {
  it('is where the tests expect it (set PLASTICITY_ML_LATEST_SMALL to move it)', () => {
    expect(existsSync(join(dir, 'ratings.csv')), `no ml-latest-small at ${dir}`).toBe(true);
  });

  it('reads the published counts: 100836 ratings, 610 users, 9724 rated movies, 9742 movies', async () => {
    const { format, ratings, items } = await loadMovieLens(dir);
    expect(format).toBe('latest');
    expect(ratings.length).toBe(100836);
    expect(new Set(ratings.userId).size).toBe(610);
    expect(new Set(ratings.itemId).size).toBe(9724);
    expect(items.length).toBe(9742);
    const stars = new Set(ratings.rating);
    expect([...stars].sort((a, b) => a - b)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(items.find((i) => i.itemId === 11)!.title).toBe('American President, The (1995)');
  });

  it('hashFile matches the MD5SUMS that ship with the data', async () => {
    const sums = await readFile(join(dir, 'MD5SUMS'), 'utf8');
    const expected = /^([0-9a-f]{32})\s+movies\.csv$/m.exec(sums)![1];
    expect(await hashFile(join(dir, 'movies.csv'), 'md5')).toBe(expected);
  });
});
