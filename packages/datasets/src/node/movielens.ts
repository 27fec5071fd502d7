/**
 * MovieLens readers (GroupLens). Three on-disk formats, one output:
 *
 * | format | files | separator | encoding |
 * |---|---|---|---|
 * | `'100k'` | `u.data` (user item rating timestamp), `u.item` (+ `u.genre`) | tab / `\|` | latin1 |
 * | `'1m'` (also 10M) | `ratings.dat`, `movies.dat` | `::` | latin1 |
 * | `'latest'` (ml-latest, ml-latest-small, 20M, 25M, 32M) | `ratings.csv`, `movies.csv` | `,` with quotes | utf8 |
 *
 * Ratings come back columnar (typed arrays, one entry per rating, file order), ids as in the
 * files (1-based, with gaps): map them to dense indices in the consumer.
 *
 * Nothing is stored lossily. Ids are decimal integers: quoting does not matter (`"1"` and `1` are
 * one id), nor do leading zeros, a `+` sign or spaces (`01` is user 1); anything else (`1.0`,
 * `1e0`, `u1`) is an error, so numeric and textual ids never mix silently. An id outside the
 * `Int32Array` range, a timestamp outside `0..2^32 − 1` (the `Uint32Array` of seconds), a
 * non-finite rating and an empty ratings file are {@link CsvParseError}s naming the file, line and
 * column.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CsvParseError, DatasetNotFoundError } from '../errors.js';
import { parseDecimalInt, readCsv } from './csv.js';

/**
 * A MovieLens folder layout: `'100k'` (`u.data`), `'1m'` (`ratings.dat`, also ml-10m) or `'latest'` (`ratings.csv`).
 */
export type MovieLensFormat = '100k' | '1m' | 'latest';

/** Ratings as parallel columns: rating `i` is (`userId[i]`, `itemId[i]`, `rating[i]`, `timestamp[i]`). */
export interface RatingsTable {
  /** Each rating's user id (the dataset's own, 1-based). */
  userId: Int32Array;
  /** Each rating's movie id (the dataset's own). */
  itemId: Int32Array;
  /** Stars: 1–5 (100k, 1M) or 0.5–5 in half steps (latest). */
  rating: Float32Array;
  /** Seconds since 1970-01-01 UTC. */
  timestamp: Uint32Array;
  /** Number of ratings. */
  length: number;
}

/** One rating as an object (see {@link ratingRecords}). */
export interface Rating {
  /** The user's id. */
  userId: number;
  /** The movie's id. */
  itemId: number;
  /** The rating (0.5–5 stars). */
  rating: number;
  /** Seconds since 1970-01-01 UTC. */
  timestamp: number;
}

/** A movie of a MovieLens folder. */
export interface MovieLensItem {
  /** The movie's id. */
  itemId: number;
  /** The title with its year, e.g. `'Toy Story (1995)'`. */
  title: string;
  /** Genre names, e.g. `['Comedy', 'Romance']`; empty when none is listed. */
  genres: string[];
}

/** What {@link loadMovieLens} returns. */
export interface MovieLensData {
  /** The detected layout. */
  format: MovieLensFormat;
  /** Every rating, columnar, in file order. */
  ratings: RatingsTable;
  /** Every movie with its genres. */
  items: MovieLensItem[];
}

/** The 19 genres of ml-100k, in the order of the flags in `u.item` (as in its `u.genre`). */
export const ML100K_GENRES: readonly string[] = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

const MARKERS: [MovieLensFormat, string][] = [
  ['100k', 'u.data'],
  ['1m', 'ratings.dat'],
  ['latest', 'ratings.csv'],
];

/**
 * Tells which MovieLens format a folder holds, from the ratings file it contains.
 *
 * @throws DatasetNotFoundError when the folder is missing or holds none of `u.data`, `ratings.dat`, `ratings.csv`.
 */
export function detectMovieLensFormat(dir: string): MovieLensFormat {
  if (!existsSync(dir)) {
    throw new DatasetNotFoundError(
      dir,
      'MovieLens folder not found. Download a MovieLens archive from grouplens.org, unzip it and pass its folder.',
    );
  }
  for (const [format, file] of MARKERS) if (existsSync(join(dir, file))) return format;
  throw new DatasetNotFoundError(
    dir,
    'no MovieLens ratings file here: expected u.data (ml-100k), ratings.dat (ml-1m, ml-10m) or ratings.csv ' +
      '(ml-latest, ml-latest-small, ml-25m). Pass the folder that contains it.',
  );
}

class RatingsBuilder {
  private cap = 1024;
  private u = new Int32Array(this.cap);
  private i = new Int32Array(this.cap);
  private r = new Float32Array(this.cap);
  private t = new Uint32Array(this.cap);
  length = 0;

  push(userId: number, itemId: number, rating: number, timestamp: number): void {
    if (this.length === this.cap) {
      this.cap *= 2;
      const grow = <T extends Int32Array | Float32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
        const b = make(this.cap);
        b.set(a);
        return b;
      };
      this.u = grow(this.u, (n) => new Int32Array(n));
      this.i = grow(this.i, (n) => new Int32Array(n));
      this.r = grow(this.r, (n) => new Float32Array(n));
      this.t = grow(this.t, (n) => new Uint32Array(n));
    }
    const k = this.length++;
    this.u[k] = userId;
    this.i[k] = itemId;
    this.r[k] = rating;
    this.t[k] = timestamp;
  }

  build(): RatingsTable {
    const n = this.length;
    return {
      userId: this.u.slice(0, n),
      itemId: this.i.slice(0, n),
      rating: this.r.slice(0, n),
      timestamp: this.t.slice(0, n),
      length: n,
    };
  }
}

async function* lines(path: string, encoding: BufferEncoding): AsyncGenerator<[line: string, lineNo: number]> {
  if (!existsSync(path)) throw new DatasetNotFoundError(path, 'missing MovieLens file; is this the complete folder?');
  const rl = createInterface({ input: createReadStream(path, { encoding }), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() !== '') yield [line, n];
  }
}

type IntField = 'userId' | 'itemId' | 'movieId' | 'timestamp';

const INT32: [number, number] = [-(2 ** 31), 2 ** 31 - 1];
const UINT32: [number, number] = [0, 2 ** 32 - 1];

/**
 * Parses an id or timestamp and checks that the typed array of {@link RatingsTable} holds it
 * exactly. Throws a plain Error with the reason (the callers add file, line and column).
 */
function checkedInt(raw: string, what: IntField): number {
  const v = parseDecimalInt(raw);
  if (v === undefined) throw new Error(`${what} must be a decimal integer; got ${JSON.stringify(raw.slice(0, 40))}.`);
  const [lo, hi] = what === 'timestamp' ? UINT32 : INT32;
  if (v < lo || v > hi) {
    const t = raw.trim();
    const shown = t.length <= 40 ? t : `${t.slice(0, 24)}… (${t.length} digits)`;
    throw new Error(
      what === 'timestamp'
        ? `timestamp ${shown} does not fit the Uint32Array of RatingsTable (0 to 4294967295 seconds since ` +
            '1970). Read the file with readCsv to keep such times.'
        : `${what} ${shown} does not fit the Int32Array of RatingsTable (-2147483648 to 2147483647). Map ` +
            'the ids to dense indices first, or read the file with readCsv and keep them as strings.',
    );
  }
  return v;
}

/** {@link checkedInt} as a `readCsv` column type. */
const intColumn =
  (what: IntField) =>
  (raw: string): number =>
    checkedInt(raw, what);

function num(raw: string | undefined, path: string, line: number, what: string, int: boolean): number {
  if (int) {
    try {
      return checkedInt(raw ?? '', what as IntField);
    } catch (error) {
      throw new CsvParseError(path, line, (error as Error).message, what);
    }
  }
  const v = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) {
    throw new CsvParseError(
      path,
      line,
      `${what} must be ${int ? 'an integer' : 'a number'}; got ${JSON.stringify(raw ?? '')}.`,
      what,
    );
  }
  return v;
}

async function readSeparatedRatings(path: string, separator: string | RegExp): Promise<RatingsTable> {
  const out = new RatingsBuilder();
  for await (const [line, n] of lines(path, 'latin1')) {
    const f = line.split(separator);
    if (f.length < 4) {
      throw new CsvParseError(
        path,
        n,
        `expected 4 fields (user, item, rating, timestamp); got ${f.length}: ${JSON.stringify(line)}.`,
      );
    }
    out.push(
      num(f[0], path, n, 'userId', true),
      num(f[1], path, n, 'itemId', true),
      num(f[2], path, n, 'rating', false),
      num(f[3], path, n, 'timestamp', true),
    );
  }
  if (out.length === 0) {
    throw new CsvParseError(path, 1, 'no ratings: the file is empty. Is this the complete, unzipped folder?');
  }
  return out.build();
}

async function read100kItems(dir: string): Promise<MovieLensItem[]> {
  const path = join(dir, 'u.item');
  let genres = ML100K_GENRES;
  const genreFile = join(dir, 'u.genre');
  if (existsSync(genreFile)) {
    const listed: string[] = [];
    for await (const [line] of lines(genreFile, 'latin1')) {
      const [name, index] = line.split('|');
      if (name !== undefined && index !== undefined) listed[Number(index)] = name;
    }
    if (listed.length > 0) genres = listed;
  }
  const items: MovieLensItem[] = [];
  for await (const [line, n] of lines(path, 'latin1')) {
    const f = line.split('|');
    if (f.length < 5 + genres.length) {
      throw new CsvParseError(
        path,
        n,
        `expected ${5 + genres.length} '|'-separated fields (id, title, dates, URL, ${genres.length} genre flags); got ${f.length}.`,
      );
    }
    const flags = f.slice(f.length - genres.length);
    items.push({
      itemId: num(f[0], path, n, 'itemId', true),
      title: f[1]!,
      genres: genres.filter((_, g) => flags[g] === '1'),
    });
  }
  return items;
}

async function read1mItems(dir: string): Promise<MovieLensItem[]> {
  const path = join(dir, 'movies.dat');
  const items: MovieLensItem[] = [];
  for await (const [line, n] of lines(path, 'latin1')) {
    const f = line.split('::');
    if (f.length !== 3) {
      throw new CsvParseError(path, n, `expected 3 '::'-separated fields (id, title, genres); got ${f.length}.`);
    }
    items.push({ itemId: num(f[0], path, n, 'itemId', true), title: f[1]!, genres: splitGenres(f[2]!) });
  }
  return items;
}

function splitGenres(raw: string): string[] {
  return raw === '' || raw === '(no genres listed)' ? [] : raw.split('|');
}

async function readLatest(dir: string): Promise<{ ratings: RatingsTable; items: MovieLensItem[] }> {
  const ratingsPath = join(dir, 'ratings.csv');
  const moviesPath = join(dir, 'movies.csv');
  const out = new RatingsBuilder();
  for await (const r of readCsv(ratingsPath, {
    types: {
      userId: intColumn('userId'),
      movieId: intColumn('movieId'),
      rating: 'number',
      timestamp: intColumn('timestamp'),
    },
  })) {
    out.push(r.userId, r.movieId, r.rating, r.timestamp);
  }
  const items: MovieLensItem[] = [];
  if (!existsSync(moviesPath))
    throw new DatasetNotFoundError(moviesPath, 'missing MovieLens file; is this the complete folder?');
  for await (const m of readCsv(moviesPath, { types: { movieId: intColumn('movieId') } })) {
    items.push({ itemId: m.movieId, title: String(m['title']), genres: splitGenres(String(m['genres'] ?? '')) });
  }
  return { ratings: out.build(), items };
}

/**
 * Reads a MovieLens folder in any of the three formats (detected unless given).
 *
 * @example
 * ```ts
 * const { ratings, items } = await loadMovieLens('/data/ml-latest-small');
 * ratings.length;        // 100836
 * ratings.userId[0];     // 1
 * items[0];              // { itemId: 1, title: 'Toy Story (1995)', genres: ['Adventure', 'Animation', …] }
 * ```
 * @throws DatasetNotFoundError for a missing folder or file; CsvParseError (with file, line and
 * column) for a malformed line, a value the typed columns cannot hold exactly, or an empty ratings file.
 */
export async function loadMovieLens(dir: string, options: { format?: MovieLensFormat } = {}): Promise<MovieLensData> {
  const format = options.format ?? detectMovieLensFormat(dir);
  if (format === '100k') {
    const [ratings, items] = await Promise.all([readSeparatedRatings(join(dir, 'u.data'), /\t/), read100kItems(dir)]);
    return { format, ratings, items };
  }
  if (format === '1m') {
    const [ratings, items] = await Promise.all([
      readSeparatedRatings(join(dir, 'ratings.dat'), '::'),
      read1mItems(dir),
    ]);
    return { format, ratings, items };
  }
  return { format, ...(await readLatest(dir)) };
}

/** The ratings as objects, in file order (convenient; the columns use less memory). */
export function ratingRecords(table: RatingsTable): Rating[] {
  const out: Rating[] = new Array(table.length);
  for (let k = 0; k < table.length; k++) {
    out[k] = {
      userId: table.userId[k]!,
      itemId: table.itemId[k]!,
      rating: table.rating[k]!,
      timestamp: table.timestamp[k]!,
    };
  }
  return out;
}
