/**
 * Property-based tests of `loadMovieLens` against an independent oracle: for random ratings files
 * (ml-latest CSV or ml-1m `::`) whose fields are drawn from valid and hostile values (ids beyond
 * 2^31 − 1, negative or huge timestamps, NaN, `1.0`, `1e0`, 2,000-digit numbers, quoting, BOM,
 * CRLF), the reader must either return exactly the values of every line, or fail with a
 * `CsvParseError` naming the first bad line and column. `FUZZ_RUNS` sets the number of cases.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvParseError } from '../index.js';
import { loadMovieLens } from './index.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 60);
const options = { numRuns: RUNS, timeout: 10_000, markInterruptAsFailure: true };

let tmp: string;
let n = 0;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'plasticity-ml-fuzz-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const intField = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }).map(String),
  fc.constantFrom('2147483648', '-2147483649', '3000000000', '4294967296', '-1', '01', '+7', ' 5 ', '1.0', '1e0'),
  fc.constantFrom('NaN', 'Infinity', '', 'u1', '0x1', '9'.repeat(2000), '-0'),
);
const ratingField = fc.oneof(
  fc.constantFrom('0.5', '1', '4.5', '5', '3.0'),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e309', '', 'four', '1e-400'),
);

type Field = 'userId' | 'itemId' | 'rating' | 'timestamp';
const FIELDS: Field[] = ['userId', 'itemId', 'rating', 'timestamp'];

/** The oracle: the exact value a field must load as, or undefined when it must be rejected. */
function expected(field: Field, raw: string): number | undefined {
  if (field === 'rating') {
    const v = raw.trim() === '' ? NaN : Number(raw);
    return Number.isFinite(v) ? v : undefined;
  }
  if (!/^[+-]?\d+$/.test(raw.trim())) return undefined;
  const v = Number(raw.trim());
  const [lo, hi] = field === 'timestamp' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
  return v >= lo && v <= hi ? v + 0 : undefined;
}

describe('loadMovieLens (property-based)', () => {
  it('returns every line exactly, or a CsvParseError at the first bad line and column', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(intField, intField, ratingField, intField), { maxLength: 6 }),
        fc.constantFrom('latest', '1m'),
        fc.boolean(),
        fc.boolean(),
        async (rows, format, crlf, quoteIds) => {
          const dir = join(tmp, `case-${n++}`);
          const eol = crlf ? '\r\n' : '\n';
          const quoteable = (f: string) => (quoteIds && format === 'latest' ? `"${f}"` : f);
          const lines = rows.map((r) => r.map(quoteable).join(format === 'latest' ? ',' : '::'));
          await (await import('node:fs/promises')).mkdir(dir);
          if (format === 'latest') {
            const header = rows.length === 0 && crlf ? '' : `userId,movieId,rating,timestamp${eol}`;
            await writeFile(join(dir, 'ratings.csv'), header + lines.map((l) => l + eol).join(''));
            await writeFile(join(dir, 'movies.csv'), 'movieId,title,genres\n1,A,Drama\n');
          } else {
            await writeFile(join(dir, 'ratings.dat'), lines.map((l) => l + eol).join(''));
            await writeFile(join(dir, 'movies.dat'), '1::A::Drama\n');
          }
          const firstLine = format === 'latest' ? 2 : 1;
          let bad: { line: number; column: string } | undefined;
          rows.forEach((r, k) => {
            const column = FIELDS.findIndex((f, c) => expected(f, r[c]!) === undefined);
            if (bad === undefined && column >= 0) bad = { line: firstLine + k, column: FIELDS[column]! };
          });
          const emptyFile = rows.length === 0 && (format === '1m' || crlf);
          try {
            const { ratings } = await loadMovieLens(dir);
            expect(bad).toBeUndefined();
            expect(emptyFile).toBe(false);
            expect(ratings.length).toBe(rows.length);
            rows.forEach((r, k) => {
              expect(ratings.userId[k]).toBe(expected('userId', r[0]!));
              expect(ratings.itemId[k]).toBe(expected('itemId', r[1]!));
              expect(ratings.rating[k]).toBe(Math.fround(expected('rating', r[2]!)!));
              expect(ratings.timestamp[k]).toBe(expected('timestamp', r[3]!));
            });
          } catch (error) {
            if (!(error instanceof CsvParseError)) throw error;
            if (bad !== undefined) {
              expect(error.line).toBe(bad.line);
              expect(error.column === bad.column || (bad.column === 'itemId' && error.column === 'movieId')).toBe(true);
            } else expect(emptyFile).toBe(true);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      options,
    );
  });
});
