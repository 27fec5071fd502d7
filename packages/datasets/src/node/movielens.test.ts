import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvParseError, DatasetNotFoundError } from '../index.js';
import { detectMovieLensFormat, loadMovieLens, ratingRecords } from './index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'plasticity-ml-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function folder(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir);
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
}

const flags = (on: number[]): string => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');

describe('MovieLens readers', () => {
  it('reads ml-100k: tab-separated u.data, latin1 u.item with genre flags', async () => {
    const dir = await folder('ml-100k', {
      'u.data': '196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n',
      'u.item': Buffer.concat([
        Buffer.from(
          `242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|${flags([5])}\n`,
          'latin1',
        ),
        Buffer.from(`302|L.A. Confidential (1997)|01-Jan-1997||http://x|${flags([6, 10, 13, 16])}\n`, 'latin1'),
        Buffer.from(`377|Heavyweights (1994)|01-Jan-1994||http://x|${flags([4, 5])}\n`, 'latin1'),
        Buffer.from(`1300|'Til There Was You (1997)|01-Jan-1997||http://x|${flags([8, 14])}\n`, 'latin1'),
        Buffer.from(`1682|Scream of Stone (Schrei aus Stein) (1991)|08-Mar-1996||http://x|${flags([8])}\n`, 'latin1'),
        Buffer.from(`1533|Yo, la que ... (Cité des enfants) (1990)|01-Jan-1990||http://x|${flags([0])}\n`, 'latin1'),
      ]),
    });
    expect(detectMovieLensFormat(dir)).toBe('100k');
    const { format, ratings, items } = await loadMovieLens(dir);
    expect(format).toBe('100k');
    expect(ratings.length).toBe(3);
    expect(Array.from(ratings.userId)).toEqual([196, 186, 22]);
    expect(Array.from(ratings.itemId)).toEqual([242, 302, 377]);
    expect(Array.from(ratings.rating)).toEqual([3, 3, 1]);
    expect(Array.from(ratings.timestamp)).toEqual([881250949, 891717742, 878887116]);
    expect(items[0]).toEqual({ itemId: 242, title: 'Kolya (1996)', genres: ['Comedy'] });
    expect(items[1]!.genres).toEqual(['Crime', 'Film-Noir', 'Mystery', 'Thriller']);
    expect(items[2]!.genres).toEqual(["Children's", 'Comedy']);
    expect(items[5]).toEqual({ itemId: 1533, title: 'Yo, la que ... (Cité des enfants) (1990)', genres: ['unknown'] });
    expect(ratingRecords(ratings)[1]).toEqual({ userId: 186, itemId: 302, rating: 3, timestamp: 891717742 });
  });

  it('reads ml-1m: "::"-separated latin1 ratings.dat and movies.dat', async () => {
    const dir = await folder('ml-1m', {
      'ratings.dat': '1::1193::5::978300760\n1::661::3::978302109\n6040::1097::4::956715518\n',
      'movies.dat': Buffer.from(
        "1::Toy Story (1995)::Animation|Children's|Comedy\n" +
          '73::Misérables, Les (1995)::Drama|Musical\n' +
          '3952::Contender, The (2000)::Drama|Thriller\n',
        'latin1',
      ),
    });
    expect(detectMovieLensFormat(dir)).toBe('1m');
    const { ratings, items } = await loadMovieLens(dir);
    expect(ratingRecords(ratings)).toEqual([
      { userId: 1, itemId: 1193, rating: 5, timestamp: 978300760 },
      { userId: 1, itemId: 661, rating: 3, timestamp: 978302109 },
      { userId: 6040, itemId: 1097, rating: 4, timestamp: 956715518 },
    ]);
    expect(items).toEqual([
      { itemId: 1, title: 'Toy Story (1995)', genres: ['Animation', "Children's", 'Comedy'] },
      { itemId: 73, title: 'Misérables, Les (1995)', genres: ['Drama', 'Musical'] },
      { itemId: 3952, title: 'Contender, The (2000)', genres: ['Drama', 'Thriller'] },
    ]);
  });

  it('reads ml-latest: ratings.csv with half stars, movies.csv with quoted titles and "|" genres', async () => {
    const dir = await folder('ml-latest-small', {
      'ratings.csv':
        'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n610,170875,0.5,1493846415\n',
      'movies.csv':
        'movieId,title,genres\n' +
        '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n' +
        '11,"American President, The (1995)",Comedy|Drama|Romance\n' +
        '30,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Drama\n' +
        '114335,La cravate (1957),(no genres listed)\n',
    });
    expect(detectMovieLensFormat(dir)).toBe('latest');
    const { ratings, items } = await loadMovieLens(dir);
    expect(Array.from(ratings.rating)).toEqual([4, 4.5, 0.5]);
    expect(Array.from(ratings.itemId)).toEqual([1, 3, 170875]);
    expect(Array.from(ratings.userId)).toEqual([1, 1, 610]);
    expect(items.map((i) => i.title)).toEqual([
      'Toy Story (1995)',
      'American President, The (1995)',
      'City of Lost Children, The (Cité des enfants perdus, La) (1995)',
      'La cravate (1957)',
    ]);
    expect(items[0]!.genres).toEqual(['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy']);
    expect(items[3]!.genres).toEqual([]);
  });

  it('names what is missing: the folder, the ratings file, the items file', async () => {
    expect(() => detectMovieLensFormat(join(tmp, 'nope'))).toThrow(DatasetNotFoundError);
    const empty = await folder('empty', { 'README.txt': 'hi' });
    expect(() => detectMovieLensFormat(empty)).toThrow(/u\.data \(ml-100k\), ratings\.dat .* ratings\.csv/);
    const noItems = await folder('no-items', { 'ratings.dat': '1::2::3::4\n' });
    await expect(loadMovieLens(noItems)).rejects.toMatchObject({
      name: 'DatasetNotFoundError',
      file: join(noItems, 'movies.dat'),
    });
  });

  it('a malformed line fails with its file and line number', async () => {
    const dir = await folder('bad-1m', {
      'ratings.dat': '1::1193::5::978300760\n1::661::three::978302109\n',
      'movies.dat': '1::Toy Story (1995)::Comedy\n',
    });
    const error = await loadMovieLens(dir).then(
      () => expect.unreachable() as never,
      (e: CsvParseError) => e,
    );
    expect(error).toBeInstanceOf(CsvParseError);
    expect(error.line).toBe(2);
    expect(error.file).toBe(join(dir, 'ratings.dat'));
    expect(error.message).toMatch(/rating must be a number; got "three"/);
    const short = await folder('bad-100k', { 'u.data': '1\t2\t3\n', 'u.item': '' });
    await expect(loadMovieLens(short)).rejects.toThrow(/line 1: expected 4 fields/);
  });

  async function loadError(files: Record<string, string>): Promise<CsvParseError> {
    const dir = await folder(`bad-${Object.keys(files).join('-')}-${Math.random().toString(36).slice(2)}`, files);
    return loadMovieLens(dir).then(
      () => expect.unreachable('expected a rejection') as never,
      (e: unknown) => e as CsvParseError,
    );
  }
  const MOVIES = { 'movies.csv': 'movieId,title,genres\n1,A,Drama\n' };
  const HEADER = 'userId,movieId,rating,timestamp\n';

  it('ids beyond the Int32Array of RatingsTable fail with file, line and column instead of wrapping', async () => {
    const big = await loadError({ 'ratings.csv': `${HEADER}1,1,4,1\n3000000000,1,4,1\n`, ...MOVIES });
    expect(big).toBeInstanceOf(CsvParseError);
    expect([big.file.endsWith('ratings.csv'), big.line, big.column]).toEqual([true, 3, 'userId']);
    expect(big.message).toMatch(/userId 3000000000 does not fit/);
    const item = await loadError({ 'ratings.dat': '1::2147483648::4::1\n', 'movies.dat': '1::A::Drama\n' });
    expect([item.line, item.column]).toEqual([1, 'itemId']);
    const digits = await loadError({ 'ratings.csv': `${HEADER}${'9'.repeat(2_000_000)},1,4,1\n`, ...MOVIES });
    expect([digits.line, digits.column]).toEqual([2, 'userId']);
  });

  it('timestamps outside 0..2^32 − 1 fail instead of wrapping (-1 used to become 4294967295)', async () => {
    const negative = await loadError({ 'ratings.csv': `${HEADER}1,1,4,-1\n`, ...MOVIES });
    expect([negative.line, negative.column]).toEqual([2, 'timestamp']);
    expect(negative.message).toMatch(/timestamp -1 does not fit/);
    const late = await loadError({ 'u.data': '1\t1\t4\t4294967296\n', 'u.item': '' });
    expect([late.line, late.column]).toEqual([1, 'timestamp']);
  });

  it('non-finite ratings fail with file, line and column', async () => {
    for (const raw of ['NaN', 'Infinity', '1e309']) {
      const csv = await loadError({ 'ratings.csv': `${HEADER}1,1,${raw},1\n`, ...MOVIES });
      expect([csv.line, csv.column]).toEqual([2, 'rating']);
      const dat = await loadError({ 'ratings.dat': `1::1::${raw}::1\n`, 'movies.dat': '1::A::Drama\n' });
      expect([dat.line, dat.column]).toEqual([1, 'rating']);
    }
  });

  it('an empty ratings file (no header, no ratings) is an error, a header alone is 0 ratings', async () => {
    const csv = await loadError({ 'ratings.csv': '', ...MOVIES });
    expect(csv).toBeInstanceOf(CsvParseError);
    expect(csv.line).toBe(1);
    expect(csv.message).toMatch(/empty: no header line/);
    const dat = await loadError({ 'ratings.dat': '\n\n', 'movies.dat': '1::A::Drama\n' });
    expect(dat.message).toMatch(/no ratings/);
    const headerOnly = await folder('header-only', { 'ratings.csv': HEADER, ...MOVIES });
    expect((await loadMovieLens(headerOnly)).ratings.length).toBe(0);
  });

  it('normalises ids: quoted and unquoted, leading zeros and "+" are one id; "1.0" or "1e0" are errors', async () => {
    const dir = await folder('normalised', {
      'ratings.csv': `${HEADER}1,1,4,1\n"1",1,3,2\n01,+1,2,3\n`,
      ...MOVIES,
    });
    const { ratings } = await loadMovieLens(dir);
    expect(Array.from(ratings.userId)).toEqual([1, 1, 1]);
    expect(Array.from(ratings.itemId)).toEqual([1, 1, 1]);
    for (const raw of ['1.0', '1e0', '0x1', ' 1 2']) {
      const error = await loadError({ 'ratings.dat': `1::1::4::1\n${raw}::1::4::1\n`, 'movies.dat': '1::A::Drama\n' });
      expect([error.line, error.column]).toEqual([2, 'userId']);
    }
  });
});
