import { cpuBackend } from '@plasticity/backend-cpu';
import { ValueError, registerBackendPlugin, useBackend } from '@plasticity/core';
import { SGD } from '@plasticity/optimizers';
import * as tf from '@tensorflow/tfjs-core';
import { parse } from 'csv-parse/sync';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Sequential } from '../index.js';
import { CSVLogger, csvField } from './index.js';

let dir: string;
beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'plasticity-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = async (file: string, delimiter = ','): Promise<string[][]> =>
  parse(await readFile(file, 'utf8'), { delimiter }) as string[][];

describe('CSVLogger', () => {
  it('writes a header and one row per epoch of fit with every log value', async () => {
    const model = new Sequential({ layers: [new Dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
    const x = tf.randomNormal([16, 2], 0, 1, 'float32', 3);
    const y = tf.sum(x, 1, true);
    const file = join(dir, 'sub', 'fit.csv');
    const history = await model.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      validationSplit: 0.25,
      callbacks: [new CSVLogger({ filename: file })],
    });
    const rows = await read(file);
    expect(rows[0]).toEqual(['epoch', 'loss', 'mae', 'val_loss', 'val_mae']);
    expect(rows.length).toBe(4);
    rows.slice(1).forEach((row, epoch) => {
      expect(row[0]).toBe(String(epoch));
      rows[0]!.slice(1).forEach((key, k) => expect(Number(row[k + 1])).toBe(history.history[key]![epoch]));
    });
  });

  it('quotes fields holding the separator, quotes or line breaks, and writes NA for missing keys', async () => {
    const file = join(dir, 'quoted.csv');
    const logger = new CSVLogger({ filename: file, separator: ';' });
    await logger.onTrainBegin();
    await logger.onEpochEnd(0, { 'a;b': 1.5, 'say "hi"': -2, 'multi\nline': 3 });
    await logger.onEpochEnd(1, { 'a;b': Number.NaN, 'say "hi"': 0.25 });
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')[0]).toBe('epoch;"a;b";"multi\nline";"say ""hi"""'.split('\n')[0]);
    expect(await read(file, ';')).toEqual([
      ['epoch', 'a;b', 'multi\nline', 'say "hi"'],
      ['0', '1.5', '3', '-2'],
      ['1', 'NaN', 'NA', '0.25'],
    ]);
  });

  it('appends rows to an existing file without repeating the header; without append it starts over', async () => {
    const file = join(dir, 'append.csv');
    const first = new CSVLogger({ filename: file });
    await first.onTrainBegin();
    await first.onEpochEnd(0, { loss: 1 });
    const again = new CSVLogger({ filename: file, append: true });
    await again.onTrainBegin();
    await again.onEpochEnd(1, { loss: 0.5 });
    expect(await read(file)).toEqual([
      ['epoch', 'loss'],
      ['0', '1'],
      ['1', '0.5'],
    ]);
    await writeFile(join(dir, 'empty.csv'), '');
    const empty = new CSVLogger({ filename: join(dir, 'empty.csv'), append: true });
    await empty.onTrainBegin();
    await empty.onEpochEnd(0, { loss: 2 });
    expect(await read(join(dir, 'empty.csv'))).toEqual([
      ['epoch', 'loss'],
      ['0', '2'],
    ]);
    const fresh = new CSVLogger({ filename: file });
    await fresh.onTrainBegin();
    await fresh.onEpochEnd(0, { loss: 9 });
    expect(await read(file)).toEqual([
      ['epoch', 'loss'],
      ['0', '9'],
    ]);
  });

  it('quotes like RFC 4180 and rejects bad options', () => {
    expect(csvField('plain', ',')).toBe('plain');
    expect(csvField('a,b', ',')).toBe('"a,b"');
    expect(csvField('a,b', ';')).toBe('a,b');
    expect(csvField('x"y', ',')).toBe('"x""y"');
    expect(() => new CSVLogger({ filename: '' })).toThrow(ValueError);
    expect(() => new CSVLogger({ filename: 'f.csv', separator: '"' })).toThrow(/separator must be one character/);
    expect(() => new CSVLogger({ filename: 'f.csv', separator: ';;' })).toThrow(ValueError);
  });
});
