/** Command-line options of the showcase (`npm start -- --help`), parsed with Node's `util.parseArgs`. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ValueError, describeValue } from '@plasticity/core';

/** MovieLens ml-latest-small beside the repository (`<repo>/../shared/data/ml-latest-small`), when present. */
export const DEFAULT_MOVIELENS_DIR = fileURLToPath(new URL('../../../../shared/data/ml-latest-small', import.meta.url));

export interface ShowcaseOptions {
  help: boolean;
  /** MovieLens folder, or 'generated' for the seeded synthetic set. */
  data: string;
  folds: number;
  rating?: string[];
  ranking?: string[];
  fashionData?: string;
  shots: number[];
  epochs: number;
  pretrainImages: number;
  pretrainEpochs: number;
  testImages: number;
  chart?: string;
  skip: { recommenders: boolean; transfer: boolean };
  backend: string;
}

export const USAGE = `Usage: npm start -- [options]

A tour of Plasticity on the default backend: recommenders compared on MovieLens (or a seeded
generated set), then transfer learning on Fashion-MNIST; one results table at the end.

  --data DIR|generated      MovieLens folder (default ../shared/data/ml-latest-small from the
                            repository root when present, else 'generated')
  --folds N                 1: one 80/20 split; N > 1: N-fold cross-validation (default 1)
  --rating LIST             rating algorithms (default NormalPredictor,BaselineOnly,SVD,KNNBaseline,SlopeOne)
  --ranking LIST            top-N algorithms for precision@10 (default Popularity,ALS; those missing are skipped)
  --fashion-data DIR        Fashion-MNIST IDX folder (default the installed set, else the committed subset)
  --shots LIST              labelled images per class of classes 5–9 (default 10)
  --epochs N                few-shot epochs per method (default 15)
  --pretrain-images N       images of classes 0–4 for pretraining (default 3000)
  --pretrain-epochs N       (default 2)
  --test-images N           test images of classes 5–9 (default 1000)
  --chart FILE              also write the transfer learning curves as SVG
  --skip recommenders|transfer
  --backend NAME            auto | wasm | cpu (default auto)
  -h, --help`;

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new ValueError(`--${name} must be a positive integer; got ${describeValue(text)}.`, {
      field: name,
      value: text,
    });
  }
  return value;
}

/** Parses `argv` (without node and script); throws ValueError naming the bad option and value. */
export function parseCli(argv: readonly string[], defaultData = DEFAULT_MOVIELENS_DIR): ShowcaseOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      data: { type: 'string' },
      folds: { type: 'string', default: '1' },
      rating: { type: 'string' },
      ranking: { type: 'string' },
      'fashion-data': { type: 'string' },
      shots: { type: 'string', default: '10' },
      epochs: { type: 'string', default: '15' },
      'pretrain-images': { type: 'string', default: '3000' },
      'pretrain-epochs': { type: 'string', default: '2' },
      'test-images': { type: 'string', default: '1000' },
      chart: { type: 'string' },
      skip: { type: 'string', multiple: true, default: [] },
      backend: { type: 'string', default: 'auto' },
    },
  });
  for (const part of values.skip) {
    if (part !== 'recommenders' && part !== 'transfer') {
      throw new ValueError(`--skip takes 'recommenders' or 'transfer'; got ${describeValue(part)}.`, {
        field: 'skip',
        value: part,
      });
    }
  }
  const names = (text: string | undefined): string[] | undefined =>
    text === undefined ? undefined : text.split(',').filter((s) => s !== '');
  const rating = names(values.rating);
  const ranking = names(values.ranking);
  return {
    help: values.help,
    data: values.data ?? (existsSync(defaultData) ? defaultData : 'generated'),
    folds: positiveInt('folds', values.folds),
    ...(rating === undefined ? {} : { rating }),
    ...(ranking === undefined ? {} : { ranking }),
    ...(values['fashion-data'] === undefined ? {} : { fashionData: values['fashion-data'] }),
    shots: values.shots.split(',').map((s) => positiveInt('shots', s)),
    epochs: positiveInt('epochs', values.epochs),
    pretrainImages: positiveInt('pretrain-images', values['pretrain-images']),
    pretrainEpochs: positiveInt('pretrain-epochs', values['pretrain-epochs']),
    testImages: positiveInt('test-images', values['test-images']),
    ...(values.chart === undefined ? {} : { chart: values.chart }),
    skip: { recommenders: values.skip.includes('recommenders'), transfer: values.skip.includes('transfer') },
    backend: values.backend,
  };
}
