/**
 * The committed corpus of hostile model folders (`test-corpus/hostile-artifacts/`): symbolic
 * links and paths that leave the folder, giant declared shapes, oversized shards, cut JSON. Each
 * must fail with the code and message in its `expected.json`, must not allocate what it declares,
 * and must not reveal the outside file (`outside/secret.bin`, 12345 bytes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlasticityError } from '../errors.js';
import { fileIO } from './file-io.js';

const CORPUS = join(import.meta.dirname, '../../test-corpus/hostile-artifacts');

interface Expectation {
  code?: string;
  message?: string;
  secret?: boolean;
  ok?: boolean;
  bytes?: number;
}

const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<string, Expectation>;

describe('hostile artifact corpus', () => {
  it.each(Object.entries(expected))('%s', async (name, e) => {
    const before = process.memoryUsage().arrayBuffers;
    const result = await fileIO(join(CORPUS, name)).load!().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    if (e.ok === true) {
      expect((result as { value: { weightData: ArrayBuffer } }).value.weightData.byteLength).toBe(e.bytes);
      return;
    }
    const error = (result as { error?: unknown }).error;
    expect(error).toBeInstanceOf(PlasticityError);
    expect((error as PlasticityError).code).toBe(e.code);
    expect((error as Error).message).toContain(e.message);
    if (e.secret === true) expect((error as Error).message).not.toMatch(/12345|\/outside\//);
  });
});
