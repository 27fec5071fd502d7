/**
 * MovieLens into the database, streamed (any size): `movies.csv`/`ratings.csv` (latest, 20m, 25m,
 * 32m) and `movies.dat`/`ratings.dat` (1m, 10m) are read line by line; ratings go through
 * `COPY … FROM STDIN` into a staging table on PostgreSQL and through batched multi-row INSERTs on
 * PGlite. Every row is an upsert, so importing the same folder twice leaves the same rows. Folders
 * in other layouts (ml-100k) are read with `loadDataset` and inserted the same way.
 *
 * `loadDatasetFromDb` reads it back (paged by primary key, in one repeatable-read snapshot).
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Interactions, type Id } from '@plasticity/recommenders';
import { loadDataset, type Movie, type MovieDataset } from '../data.js';
import { AppError } from '../service.js';
import type { Db, Queryable } from './client.js';

export interface RatingRow {
  user: number;
  movie: number;
  rating: number;
  /** Seconds since the epoch. */
  ts: number;
}

export interface ImportResult {
  movies: number;
  ratings: number;
  users: number;
}

const BATCH = 1000;

/** Splits one CSV line (RFC 4180 quotes; MovieLens titles contain commas and quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let n = 0; n < line.length; n++) {
    const c = line[n]!;
    if (quoted) {
      if (c === '"' && line[n + 1] === '"') {
        field += '"';
        n++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

async function* lines(path: string, encoding: BufferEncoding = 'utf8'): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, { encoding }), crlfDelay: Infinity });
  for await (const line of rl) if (line !== '') yield line;
}

function toId(raw: string | undefined, what: string, where: string): number {
  if (raw === undefined || !/^\d+$/.test(raw.trim())) {
    throw new AppError(400, `${where}: ${what} ${JSON.stringify(raw)} is not an integer id.`);
  }
  return Number(raw);
}

interface Layout {
  movies: () => AsyncGenerator<Movie & { id: number }>;
  ratings: () => AsyncGenerator<RatingRow>;
  ratingScale: [number, number];
}

function layoutOf(dir: string): Layout | undefined {
  if (existsSync(join(dir, 'ratings.csv')) && existsSync(join(dir, 'movies.csv'))) {
    return {
      ratingScale: [0.5, 5],
      async *movies() {
        let header = true;
        for await (const line of lines(join(dir, 'movies.csv'))) {
          if (header) {
            header = false;
            continue;
          }
          const [id, title, genres] = splitCsvLine(line);
          yield { id: toId(id, 'movieId', 'movies.csv'), title: title ?? '', genres: genreList(genres) };
        }
      },
      async *ratings() {
        let header = true;
        for await (const line of lines(join(dir, 'ratings.csv'))) {
          if (header) {
            header = false;
            continue;
          }
          const [u, m, r, t] = line.split(',');
          yield row(u, m, r, t, 'ratings.csv');
        }
      },
    };
  }
  if (existsSync(join(dir, 'ratings.dat')) && existsSync(join(dir, 'movies.dat'))) {
    return {
      ratingScale: [dir.includes('10m') ? 0.5 : 1, 5],
      async *movies() {
        for await (const line of lines(join(dir, 'movies.dat'), 'latin1')) {
          const [id, title, genres] = line.split('::');
          yield { id: toId(id, 'MovieID', 'movies.dat'), title: title ?? '', genres: genreList(genres) };
        }
      },
      async *ratings() {
        for await (const line of lines(join(dir, 'ratings.dat'))) {
          const [u, m, r, t] = line.split('::');
          yield row(u, m, r, t, 'ratings.dat');
        }
      },
    };
  }
  return undefined;
}

function genreList(raw: string | undefined): string[] {
  if (raw === undefined || raw === '' || raw === '(no genres listed)') return [];
  return raw.split('|');
}

function row(
  u: string | undefined,
  m: string | undefined,
  r: string | undefined,
  t: string | undefined,
  where: string,
) {
  const rating = Number(r);
  if (!Number.isFinite(rating)) throw new AppError(400, `${where}: rating ${JSON.stringify(r)} is not a number.`);
  return { user: toId(u, 'userId', where), movie: toId(m, 'movieId', where), rating, ts: Number(t ?? 0) || 0 };
}

/** `($1, $2), ($3, $4), …` for `rows` rows of `width` parameters. */
function placeholders(rows: number, width: number, casts: readonly string[] = []): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cols: string[] = [];
    for (let c = 0; c < width; c++) cols.push(`$${r * width + c + 1}${casts[c] ?? ''}`);
    out.push(`(${cols.join(', ')})`);
  }
  return out.join(', ');
}

async function insertMovies(tx: Queryable, movies: readonly (Movie & { id: number })[]): Promise<void> {
  if (movies.length === 0) return;
  await tx.query(
    `INSERT INTO movies (id, title, genres) VALUES ${placeholders(movies.length, 3, ['', '', '::text[]'])}
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, genres = EXCLUDED.genres`,
    movies.flatMap((m) => [m.id, m.title, m.genres]),
  );
}

async function insertRatings(tx: Queryable, rows: readonly RatingRow[]): Promise<void> {
  if (rows.length === 0) return;
  const users = [...new Set(rows.map((r) => r.user))];
  await tx.query(`INSERT INTO users (id) VALUES ${placeholders(users.length, 1)} ON CONFLICT (id) DO NOTHING`, users);
  // A later row for the same (user, movie) wins, as in Interactions ('last').
  const last = new Map<string, RatingRow>();
  for (const r of rows) last.set(`${r.user}:${r.movie}`, r);
  const unique = [...last.values()];
  await tx.query(
    `INSERT INTO ratings (user_id, movie_id, rating, ts) VALUES ${placeholders(unique.length, 4)}
     ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = EXCLUDED.rating, ts = EXCLUDED.ts`,
    unique.flatMap((r) => [r.user, r.movie, r.rating, r.ts]),
  );
}

async function setRatingScale(tx: Queryable, scale: readonly [number, number]): Promise<void> {
  await tx.query(
    `INSERT INTO settings (key, value) VALUES ('rating_scale', $1::jsonb)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [JSON.stringify(scale)],
  );
}

async function counts(db: Queryable): Promise<ImportResult> {
  const { rows } = await db.query<{ movies: number; ratings: number; users: number }>(
    `SELECT (SELECT count(*) FROM movies)::int AS movies, (SELECT count(*) FROM ratings)::int AS ratings,
            (SELECT count(*) FROM users)::int AS users`,
  );
  return rows[0]!;
}

/** Streams ratings through `COPY` (PostgreSQL) or batched INSERTs (PGlite). */
async function loadRatings(tx: Queryable, source: AsyncIterable<RatingRow>): Promise<void> {
  if (tx.canCopy) {
    await tx.exec(
      'CREATE TEMP TABLE ratings_stage (user_id integer NOT NULL, movie_id integer NOT NULL, rating real NOT NULL, ts bigint NOT NULL) ON COMMIT DROP',
    );
    const csv = Readable.from(
      (async function* () {
        let chunk = '';
        let n = 0;
        for await (const r of source) {
          chunk += `${r.user},${r.movie},${r.rating},${r.ts}\n`;
          if (++n % BATCH === 0) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk !== '') yield chunk;
      })(),
    );
    await tx.copyCsv('ratings_stage', ['user_id', 'movie_id', 'rating', 'ts'], csv);
    await tx.exec(`
      INSERT INTO users (id) SELECT DISTINCT user_id FROM ratings_stage ON CONFLICT (id) DO NOTHING;
      INSERT INTO ratings (user_id, movie_id, rating, ts)
        SELECT DISTINCT ON (user_id, movie_id) user_id, movie_id, rating, ts FROM ratings_stage
        ORDER BY user_id, movie_id, ts DESC
      ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = EXCLUDED.rating, ts = EXCLUDED.ts;`);
    return;
  }
  let batch: RatingRow[] = [];
  for await (const r of source) {
    batch.push(r);
    if (batch.length === BATCH) {
      await insertRatings(tx, batch);
      batch = [];
    }
  }
  await insertRatings(tx, batch);
}

/** Imports a MovieLens folder (streamed); resolves to the table counts afterwards. */
export async function importMovieLens(db: Db, dir: string): Promise<ImportResult> {
  if (!existsSync(dir))
    throw new AppError(400, `no folder ${dir}; pass a MovieLens folder (ml-latest-small, ml-1m, …).`);
  const layout = layoutOf(dir);
  if (layout === undefined) return importDataset(db, await loadDataset(dir));
  await db.transaction(async (tx) => {
    let batch: (Movie & { id: number })[] = [];
    for await (const m of layout.movies()) {
      batch.push(m);
      if (batch.length === BATCH) {
        await insertMovies(tx, batch);
        batch = [];
      }
    }
    await insertMovies(tx, batch);
    await loadRatings(tx, layout.ratings());
    await setRatingScale(tx, layout.ratingScale);
  });
  return counts(db);
}

/** Imports an in-memory dataset (a generated one, or a folder `loadDataset` read). */
export async function importDataset(db: Db, dataset: MovieDataset): Promise<ImportResult> {
  const d = dataset.interactions;
  const num = (id: Id, what: string): number => toId(String(id), what, dataset.source);
  await db.transaction(async (tx) => {
    const movies = [...dataset.movies.values()].map((m) => ({ ...m, id: num(m.id, 'movie id') }));
    const known = new Set(movies.map((m) => m.id));
    for (let n = 0; n < d.numItems; n++) {
      const id = num(d.itemIds.id(n), 'movie id');
      if (!known.has(id)) movies.push({ id, title: `movie ${id}`, genres: [] });
    }
    for (let n = 0; n < movies.length; n += BATCH) await insertMovies(tx, movies.slice(n, n + BATCH));
    await loadRatings(
      tx,
      (async function* () {
        for (let n = 0; n < d.size; n++) {
          yield {
            user: num(d.userIds.id(d.users[n]!), 'user id'),
            movie: num(d.itemIds.id(d.items[n]!), 'movie id'),
            rating: d.values[n]!,
            ts: Math.round(d.timestamps?.[n] ?? 0),
          };
        }
      })(),
    );
    await setRatingScale(tx, d.ratingScale ?? [0.5, 5]);
  });
  return counts(db);
}

/** Reads every stored rating, `PAGE` rows at a time by primary key. */
export async function* streamRatings(tx: Queryable, page = 20_000): AsyncGenerator<RatingRow[]> {
  let after = [-1, -1];
  for (;;) {
    const { rows } = await tx.query<{ user_id: number; movie_id: number; rating: number; ts: number }>(
      `SELECT user_id, movie_id, rating, ts::float8 AS ts FROM ratings WHERE (user_id, movie_id) > ($1, $2)
       ORDER BY user_id, movie_id LIMIT ${page}`,
      after,
    );
    if (rows.length === 0) return;
    yield rows.map((r) => ({ user: r.user_id, movie: r.movie_id, rating: r.rating, ts: r.ts }));
    const last = rows[rows.length - 1]!;
    after = [last.user_id, last.movie_id];
  }
}

export interface StoredDataset extends MovieDataset {
  /** When the snapshot was taken (database clock). */
  dataAsOf: Date;
}

/** The catalogue and every rating, in one consistent snapshot. */
export async function loadDatasetFromDb(db: Db, label = `database (${db.engine})`): Promise<StoredDataset> {
  return db.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const asOf = await tx.query<{ now: Date }>('SELECT now() AS now');
    const movies = new Map<Id, Movie>();
    for (const m of (
      await tx.query<{ id: number; title: string; genres: string[] }>('SELECT id, title, genres FROM movies')
    ).rows)
      movies.set(m.id, { id: m.id, title: m.title, genres: m.genres });
    const users: number[] = [];
    const items: number[] = [];
    const values: number[] = [];
    const timestamps: number[] = [];
    for await (const page of streamRatings(tx)) {
      for (const r of page) {
        users.push(r.user);
        items.push(r.movie);
        values.push(r.rating);
        timestamps.push(r.ts);
      }
    }
    const scale = (await tx.query<{ value: [number, number] }>("SELECT value FROM settings WHERE key = 'rating_scale'"))
      .rows[0]?.value;
    if (users.length === 0) {
      throw new AppError(503, 'the database has no ratings yet; run `movie-recommender import <movielens-dir>` first.');
    }
    const interactions = Interactions.fromArrays(
      { users, items, values, timestamps },
      { ratingScale: scale ?? [0.5, 5] },
    );
    return { interactions, movies, source: label, dataAsOf: new Date(asOf.rows[0]!.now) };
  });
}
