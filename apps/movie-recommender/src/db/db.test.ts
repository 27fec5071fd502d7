import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset } from '../data.js';
import { openMemoryDb, type Db } from './client.js';
import { importMovieLens, loadDatasetFromDb, splitCsvLine } from './import.js';
import { migrate } from './migrate.js';

const FIXTURE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'ml-tiny');
/** The fixture's own counts, read straight from its CSV files (the independent reference). */
const csvRows = (name: string) => readFileSync(join(FIXTURE_DIR, name), 'utf8').trim().split('\n').slice(1);

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('migrations', () => {
  it('apply once, in a transaction each, and a second run applies nothing', async () => {
    db = await openMemoryDb();
    expect(await migrate(db)).toEqual(['001_initial.sql']);
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
    expect(rows.map((r) => r.name)).toEqual(['001_initial.sql']);
    const tables = await db.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    expect(tables.rows.map((r) => r.tablename)).toEqual([
      'models',
      'movies',
      'ratings',
      'schema_migrations',
      'settings',
      'users',
    ]);
  });

  it('a failing migration leaves nothing behind and is not recorded', async () => {
    db = await openMemoryDb();
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'mr-migrations-'));
    writeFileSync(join(dir, '001_bad.sql'), 'CREATE TABLE half (id int); SELECT * FROM no_such_table;');
    await expect(migrate(db, dir)).rejects.toThrow(/no_such_table/);
    const half = await db.query("SELECT 1 FROM pg_tables WHERE tablename = 'half'");
    expect(half.rows).toHaveLength(0);
    // Nothing recorded: even the bookkeeping table was created inside the rolled-back transaction.
    expect((await db.query("SELECT to_regclass('schema_migrations') AS t")).rows).toEqual([{ t: null }]);
  });
});

describe('import', () => {
  it('splits quoted CSV fields', () => {
    expect(splitCsvLine('11,"American President, The (1995)",Comedy|Drama')).toEqual([
      '11',
      'American President, The (1995)',
      'Comedy|Drama',
    ]);
    expect(splitCsvLine('1,"Say ""Hi"" (2001)",Drama')).toEqual(['1', 'Say "Hi" (2001)', 'Drama']);
  });

  it('imports the fixture with the counts of its files, and importing again changes nothing', async () => {
    db = await openMemoryDb();
    await migrate(db);
    const ratings = csvRows('ratings.csv');
    const users = new Set(ratings.map((l) => l.split(',')[0]));
    const expected = { movies: csvRows('movies.csv').length, ratings: ratings.length, users: users.size };
    expect(await importMovieLens(db, FIXTURE_DIR)).toEqual(expected);
    expect(await importMovieLens(db, FIXTURE_DIR)).toEqual(expected);
  });

  it('reads back the same ratings and catalogue loadDataset reads from the files', async () => {
    db = await openMemoryDb();
    await migrate(db);
    await importMovieLens(db, FIXTURE_DIR);
    const stored = await loadDatasetFromDb(db);
    const files = await loadDataset(FIXTURE_DIR);
    expect(stored.interactions.size).toBe(files.interactions.size);
    expect(stored.interactions.ratingScale).toEqual([0.5, 5]);
    expect(stored.movies).toEqual(files.movies);
    const byPair = (d: typeof files) => {
      const m = new Map<string, number>();
      const i = d.interactions;
      for (let n = 0; n < i.size; n++) m.set(`${i.userIds.id(i.users[n]!)}:${i.itemIds.id(i.items[n]!)}`, i.values[n]!);
      return m;
    };
    expect(byPair(stored)).toEqual(byPair(files));
  });

  it('names a missing folder', async () => {
    db = await openMemoryDb();
    await migrate(db);
    await expect(importMovieLens(db, '/no/such/ml')).rejects.toThrow(/no folder \/no\/such\/ml/);
  });
});
