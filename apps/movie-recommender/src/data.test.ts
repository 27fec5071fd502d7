import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValueError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { findMovie, generateDataset, loadDataset, toMovieLensCsv } from './data.js';

const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'ml-tiny');
/** The options scripts/make-fixture.mjs used. */
const FIXTURE = { users: 40, movies: 30, ratingsPerUser: 12, seed: 7 };

describe('generateDataset', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = toMovieLensCsv(generateDataset({ seed: 3, users: 20, movies: 15 }));
    const b = toMovieLensCsv(generateDataset({ seed: 3, users: 20, movies: 15 }));
    const c = toMovieLensCsv(generateDataset({ seed: 4, users: 20, movies: 15 }));
    expect(a).toEqual(b);
    expect(a.ratings).not.toEqual(c.ratings);
  });

  it('makes half-star ratings in [0.5, 5], titles with a year and known genres, no duplicate pairs', () => {
    const d = generateDataset({ users: 50, movies: 40, seed: 2 });
    const { interactions: data } = d;
    expect(data.numUsers).toBe(50);
    const pairs = new Set<string>();
    for (const r of data.records()) {
      expect(r.value * 2).toBe(Math.round(r.value * 2));
      expect(r.value).toBeGreaterThanOrEqual(0.5);
      expect(r.value).toBeLessThanOrEqual(5);
      pairs.add(`${r.user}/${r.item}`);
      expect(d.movies.has(r.item)).toBe(true);
    }
    expect(pairs.size).toBe(data.size);
    for (const m of d.movies.values()) {
      expect(m.title).toMatch(/\(\d{4}\)$/);
      expect(m.genres.length).toBeGreaterThan(0);
    }
  });

  it('rejects a non-positive size, naming the field', () => {
    expect(() => generateDataset({ users: 0 })).toThrow(ValueError);
    expect(() => generateDataset({ users: 0 })).toThrow(/users must be a positive integer/);
  });

  it('committed fixture is what the generator makes (scripts/make-fixture.mjs)', () => {
    const { ratings, movies } = toMovieLensCsv(generateDataset(FIXTURE));
    expect(readFileSync(join(FIXTURE_DIR, 'ratings.csv'), 'utf8')).toBe(ratings);
    expect(readFileSync(join(FIXTURE_DIR, 'movies.csv'), 'utf8')).toBe(movies);
  });
});

describe('loadDataset', () => {
  it('reads a MovieLens folder: every ratings.csv line, titles and genres from movies.csv', async () => {
    const d = await loadDataset(FIXTURE_DIR);
    const lines = readFileSync(join(FIXTURE_DIR, 'ratings.csv'), 'utf8').trim().split('\n').slice(1);
    expect(d.interactions.size).toBe(lines.length);
    const [u, i, r] = lines[5]!.split(',');
    const record = [...d.interactions.records()][5]!;
    expect(record).toMatchObject({ user: Number(u), item: Number(i), value: Number(r) });
    const movieLine = readFileSync(join(FIXTURE_DIR, 'movies.csv'), 'utf8').split('\n')[2]!;
    const [id, title, genres] = movieLine.split(',');
    expect(d.movies.get(Number(id))).toEqual({ id: Number(id), title, genres: genres!.split('|') });
    expect(d.interactions.ratingScale).toEqual([0.5, 5]);
  });
});

describe('findMovie', () => {
  const d = generateDataset(FIXTURE);
  it('finds by id, exact title (any case) and unique part of a title', () => {
    expect(findMovie(d, 3).id).toBe(3);
    expect(findMovie(d, '3').id).toBe(3);
    const title = d.movies.get(12)!.title;
    expect(findMovie(d, title.toUpperCase()).id).toBe(12);
    expect(findMovie(d, title.slice(0, -3)).id).toBe(12);
  });

  it('names the query when several or no movies match', () => {
    expect(() => findMovie(d, 'The')).toThrow(/"The" matches \d+ movies/);
    expect(() => findMovie(d, 'Zzz')).toThrow(/no movie with id or title "Zzz"/);
  });
});
