import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMovieLensInteractions } from './index.js';

describe('loadMovieLensInteractions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recs-ml-'));
    writeFileSync(
      join(dir, 'ratings.csv'),
      'userId,movieId,rating,timestamp\n1,10,4.0,964982703\n1,20,0.5,964981247\n2,10,3.5,964982224\n',
    );
    writeFileSync(
      join(dir, 'movies.csv'),
      'movieId,title,genres\n10,"Heat (1995)",Action|Crime\n20,Up (2009),Animation\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a MovieLens "latest" folder with ids, ratings, timestamps and the 0.5–5 scale', async () => {
    const data = await loadMovieLensInteractions(dir);
    expect(data.size).toBe(3);
    expect(data.numUsers).toBe(2);
    expect(data.ratingScale).toEqual([0.5, 5]);
    expect(Array.from(data.records())).toEqual([
      { user: 1, item: 10, value: 4, timestamp: 964982703 },
      { user: 1, item: 20, value: 0.5, timestamp: 964981247 },
      { user: 2, item: 10, value: 3.5, timestamp: 964982224 },
    ]);
  });

  it('passes the Interactions options through (an explicit rating scale wins)', async () => {
    const data = await loadMovieLensInteractions(dir, { ratingScale: [0, 10] });
    expect(data.ratingScale).toEqual([0, 10]);
  });

  it('rejects a folder that does not exist', async () => {
    await expect(loadMovieLensInteractions(join(dir, 'missing'))).rejects.toThrow();
  });
});
