import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ArtifactError } from '@plasticity/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvParseError, DatasetNotFoundError } from '../index.js';
import { readCsv } from './index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'plasticity-csv-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) out.push(r);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<CsvParseError> {
  return promise.then(
    () => expect.unreachable('expected a rejection') as never,
    (e: unknown) => e as CsvParseError,
  );
}

describe('readCsv', () => {
  it('streams records of a file by its header, converting the typed columns', async () => {
    const path = join(tmp, 'ratings.csv');
    await writeFile(
      path,
      '\ufeffuserId,movieId,rating,liked,note\r\n1,31,2.5,true,"a, b"\r\n\r\n2,1029,3,0,"say ""hi""\nthere"\n',
    );
    const rows = await collect(
      readCsv(path, { types: { userId: 'int', movieId: 'int', rating: 'number', liked: 'boolean' } }),
    );
    expect(rows).toEqual([
      { userId: 1, movieId: 31, rating: 2.5, liked: true, note: 'a, b' },
      { userId: 2, movieId: 1029, rating: 3, liked: false, note: 'say "hi"\nthere' },
    ]);
  });

  it('takes column names for a headerless source, arrays without names, other delimiters and latin1', async () => {
    const named = await collect(
      readCsv(['1;x\n', '2;y\n'], { columns: ['id', 'name'], delimiter: ';', types: { id: 'int' } }),
    );
    expect(named).toEqual([
      { id: 1, name: 'x' },
      { id: 2, name: 'y' },
    ]);
    expect(await collect(readCsv('a,b\n1,2\n'.split(''), { columns: false }))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    // 0xe9 is "é" in latin1
    const bytes = Uint8Array.from([0x69, 0x64, 0x0a, 0x43, 0x61, 0x66, 0xe9, 0x0a]);
    expect(await collect(readCsv(Readable.from([Buffer.from(bytes)]), { encoding: 'latin1' }))).toEqual([
      { id: 'Café' },
    ]);
    const upper = (s: string): string => s.toUpperCase();
    expect(await collect(readCsv(['k\nab\n'], { types: { k: upper } }))).toEqual([{ k: 'AB' }]);
  });

  it('a line with the wrong number of fields fails with its line number', async () => {
    const path = join(tmp, 'ragged.csv');
    await writeFile(path, 'a,b\n1,2\n3,4\n5\n6,7\n');
    const error = await failure(collect(readCsv(path)));
    expect(error).toBeInstanceOf(CsvParseError);
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.line).toBe(4);
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/^.*ragged\.csv: line 4: /);
  });

  it('an unclosed quote fails with the line where the record began to break', async () => {
    const error = await failure(collect(readCsv(['a,b\n1,2\n3,"open\n4,5\n'], { name: 'quoted.csv' })));
    expect(error).toBeInstanceOf(CsvParseError);
    expect(error.file).toBe('quoted.csv');
    expect(error.message).toMatch(/quote/i);
    expect(error.line).toBeGreaterThanOrEqual(3);
  });

  it('a value that does not convert names the line and column', async () => {
    const error = await failure(
      collect(readCsv(['id,rating\n1,4.5\n2,four\n'], { name: 'r.csv', types: { rating: 'number' } })),
    );
    expect(error.line).toBe(3);
    expect(error.column).toBe('rating');
    expect(error.message).toBe('r.csv: line 3: column rating: "four" is not a number.');
    const int = await failure(collect(readCsv(['id\n1.5\n'], { types: { id: 'int' } })));
    expect(int.message).toMatch(/line 2: column id: "1.5" is not an integer/);
    const missing = await failure(collect(readCsv(['id\n1\n'], { types: { rating: 'number' } })));
    expect(missing.message).toMatch(/no column "rating" \(columns: id\)/);
  });

  it("'number' accepts finite numbers only: NaN, Infinity and 1e309 name the line and column", async () => {
    for (const raw of ['NaN', 'nan', 'Infinity', '-Infinity', '1e309']) {
      const error = await failure(
        collect(readCsv([`id,x\n1,2\n2,${raw}\n`], { name: 'n.csv', types: { x: 'number' } })),
      );
      expect(error).toBeInstanceOf(CsvParseError);
      expect([error.file, error.line, error.column]).toEqual(['n.csv', 3, 'x']);
      expect(error.message).toContain('is not a finite number');
    }
    const custom = await collect(readCsv(['x\nNaN\n'], { types: { x: (raw: string) => Number(raw) } }));
    expect(custom[0]!.x).toBeNaN();
  });

  it("'int' rejects integers beyond ±(2^53 − 1) instead of rounding them or making Infinity", async () => {
    const digits = '9'.repeat(2_000_000);
    const huge = await failure(collect(readCsv([`id\n${digits}\n`], { name: 'i.csv', types: { id: 'int' } })));
    expect([huge.file, huge.line, huge.column]).toEqual(['i.csv', 2, 'id']);
    expect(huge.message).toMatch(/outside the safe integer range/);
    expect(huge.message.length).toBeLessThan(400); // the value is abbreviated
    const unsafe = await failure(collect(readCsv(['id\n9007199254740993\n'], { types: { id: 'int' } })));
    expect(unsafe.message).toMatch(/"9007199254740993" is outside the safe integer range/);
    expect(await collect(readCsv(['id\n-9007199254740991\n'], { types: { id: 'int' } }))).toEqual([
      { id: -9007199254740991 },
    ]);
  });

  it('typed columns need a header: an empty source and a header without the column fail at line 1', async () => {
    const empty = await failure(collect(readCsv([''], { name: 'e.csv', types: { id: 'int' } })));
    expect([empty.file, empty.line]).toEqual(['e.csv', 1]);
    expect(empty.message).toMatch(/empty: no header line; expected the columns id/);
    const header = await failure(collect(readCsv(['a,b\n'], { name: 'h.csv', types: { id: 'int' } })));
    expect([header.line, header.column]).toEqual([1, 'id']);
    expect(await collect(readCsv(['id\n'], { types: { id: 'int' } }))).toEqual([]);
    expect(await collect(readCsv(['']))).toEqual([]);
  });

  it('a missing file is a DatasetNotFoundError', async () => {
    await expect(collect(readCsv(join(tmp, 'nope.csv')))).rejects.toThrow(DatasetNotFoundError);
  });
});
