/**
 * Property-based tests of `readCsv`: random tables written with odd encodings (BOM, CRLF, quoted
 * fields holding commas, quotes and newlines, input split into chunks at any byte, even inside a
 * UTF-8 sequence) must read back exactly; random hostile text must give records whose typed values
 * hold what the type promises, or a `CsvParseError`; never another error or a hang. `FUZZ_RUNS`
 * sets the number of cases (`pnpm fuzz` runs 10,000 per property).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvParseError } from '../index.js';
import { readCsv } from './index.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100);
const options = { numRuns: RUNS, timeout: 5_000, markInterruptAsFailure: true };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) out.push(r);
  return out;
}

function quote(field: string, always: boolean): string {
  return always || /[",\r\n]/.test(field) || field !== field.trim() ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Splits `bytes` at the given (sorted, deduplicated) cut points. */
function chunks(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

const row = fc.record({
  id: fc.maxSafeInteger(),
  x: fc.double({ noNaN: true, noDefaultInfinity: true }),
  note: fc.string({ unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r\n', ' ', 'x') }),
});

const HOSTILE = fc.constantFrom(
  'NaN',
  'nan',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '9'.repeat(400),
  '9007199254740993',
  '1.5',
  '0x10',
  '',
  ' ',
  '"',
  '"unclosed',
  '1,2',
  '\ufeff',
  '\r',
  '\u0000',
  '"a""b"',
  '-0',
  '+5',
);

describe('readCsv (property-based)', () => {
  it('reads back exactly what was written, whatever the quoting, line ends, BOM and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (rows, bom, crlf, quoteAll, cuts) => {
          const eol = crlf ? '\r\n' : '\n';
          const text =
            (bom ? '\ufeff' : '') +
            `id,x,note${eol}` +
            rows.map((r) => [String(r.id), String(r.x), r.note].map((f) => quote(f, quoteAll)).join(',')).join(eol) +
            (rows.length > 0 ? eol : '');
          const source = chunks(new TextEncoder().encode(text), cuts);
          const got = await collect(readCsv(source, { types: { id: 'int', x: 'number' }, skipEmptyLines: false }));
          expect(got).toEqual(rows.map((r) => ({ id: r.id, x: Number(String(r.x)), note: r.note })));
        },
      ),
      options,
    );
  });

  it('hostile fields: typed values hold what the type promises, or a CsvParseError with its line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.oneof(HOSTILE, fc.string()), fc.oneof(HOSTILE, fc.string())), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        async (fields, eol) => {
          const text = 'n,i' + eol + fields.map((f) => f.join(',')).join(eol);
          try {
            const got = await collect(readCsv([text], { name: 'h.csv', types: { n: 'number', i: 'int' } }));
            for (const r of got) {
              expect(Number.isFinite(r.n)).toBe(true);
              expect(Number.isSafeInteger(r.i)).toBe(true);
            }
          } catch (error) {
            if (!(error instanceof CsvParseError)) throw error;
            expect(error.file).toBe('h.csv');
            expect(error.line).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      options,
    );
  });
});
