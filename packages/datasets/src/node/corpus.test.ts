/**
 * The committed corpus of hostile files (`test-corpus/hostile/`, each a few bytes to a few KB):
 * every file or folder must fail with the error class, code, problem, line and column listed in
 * its `expected.json`, or (`ok`) load to exactly the listed values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlasticityError } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import type { CsvParseError, IdxFormatError } from '../index.js';
import { loadMovieLens, readCsv, readIdxFile, type CsvColumnType } from './index.js';

const CORPUS = join(import.meta.dirname, '../../test-corpus/hostile');

interface Expectation {
  reader: 'readIdxFile' | 'readCsv' | 'loadMovieLens';
  types?: Record<string, CsvColumnType>;
  error?: 'IdxFormatError' | 'CsvParseError';
  problem?: string;
  line?: number;
  column?: string;
  message?: string;
  ok?: Record<string, number[]>;
}

const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, Expectation>;

async function read(path: string, e: Expectation): Promise<unknown> {
  if (e.reader === 'readIdxFile') return readIdxFile(path);
  if (e.reader === 'loadMovieLens') return loadMovieLens(path);
  const rows = [];
  for await (const r of readCsv(path, { types: e.types ?? {} })) rows.push(r);
  return rows;
}

describe('hostile corpus', () => {
  it.each(Object.entries(expected))('%s', async (name, e) => {
    const path = join(CORPUS, name);
    const result = await read(path, e).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if (e.ok !== undefined) {
      expect(result).toHaveProperty('value');
      const { ratings } = (result as { value: Awaited<ReturnType<typeof loadMovieLens>> }).value;
      for (const [column, values] of Object.entries(e.ok)) {
        expect(Array.from(ratings[column as 'userId'])).toEqual(values);
      }
      return;
    }
    const error = (result as { error?: unknown }).error;
    expect(error).toBeInstanceOf(PlasticityError);
    expect((error as PlasticityError).code).toBe('E_ARTIFACT');
    expect((error as Error).constructor.name).toBe(e.error);
    expect((error as IdxFormatError).file.startsWith(path)).toBe(true);
    if (e.problem !== undefined) expect((error as IdxFormatError).problem).toBe(e.problem);
    if (e.line !== undefined) expect((error as CsvParseError).line).toBe(e.line);
    if (e.column !== undefined) expect((error as CsvParseError).column).toBe(e.column);
    if (e.message !== undefined) expect((error as Error).message).toContain(e.message);
  });
});
