/** Command-line options of the fashion-transfer app, parsed with Node's `util.parseArgs`. */
import { parseArgs } from 'node:util';
import { ValueError, describeValue } from '@plasticity/core';
import { METHODS, type Method } from './experiment.js';

export interface CliOptions {
  help: boolean;
  dir?: string;
  shots: number[];
  seeds: number[];
  methods: Method[];
  pretrainImages: number;
  pretrainEpochs: number;
  epochs: number;
  validationImages: number;
  testImages?: number;
  cut: string;
  fineTuneLearningRate: number;
  chart: string;
  backend: string;
}

export const USAGE = `Usage: plasticity-fashion-transfer [options]

Pretrains a CNN on Fashion-MNIST classes 0–4, then learns classes 5–9 from a few labels per class:
from scratch, frozen base + new head, staged fine-tune, LoRA. Prints a table, writes an SVG chart.

  --data DIR              IDX folder (default: /usr/share/datasets/fashion-mnist if installed, else the
                          committed 3000/1000-image subset)
  --shots LIST            labelled images per target class (default 10,50)
  --seeds LIST            seeds; results are mean ± std over them (default 1,2,3)
  --methods LIST          subset of ${METHODS.join(',')} (default all)
  --pretrain-images N     source-class images for pretraining (default 12000)
  --pretrain-epochs N     (default 3)
  --epochs N              few-shot epochs per method (default 30)
  --val-images N          validation images of classes 5–9, from the training split (default 500)
  --test-images N         test images of classes 5–9 (default all)
  --cut LAYER             layer the frozen base is cut at: features | flatten (default features)
  --finetune-lr X         learning rate of the all-layers fine-tune stage (default 0.0003)
  --chart FILE            learning-curve SVG (default fashion-transfer.svg)
  --backend NAME          auto | wasm | cpu (default auto)
  -h, --help`;

function list(name: string, text: string): number[] {
  return text.split(',').map((part) => positiveInt(name, part));
}

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
export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      data: { type: 'string' },
      shots: { type: 'string', default: '10,50' },
      seeds: { type: 'string', default: '1,2,3' },
      methods: { type: 'string', default: METHODS.join(',') },
      'pretrain-images': { type: 'string', default: '12000' },
      'pretrain-epochs': { type: 'string', default: '3' },
      epochs: { type: 'string', default: '30' },
      'val-images': { type: 'string', default: '500' },
      'test-images': { type: 'string' },
      cut: { type: 'string', default: 'features' },
      'finetune-lr': { type: 'string', default: '0.0003' },
      chart: { type: 'string', default: 'fashion-transfer.svg' },
      backend: { type: 'string', default: 'auto' },
    },
  });
  const methods = values.methods.split(',');
  for (const m of methods) {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new ValueError(`--methods: unknown method ${describeValue(m)}; use some of ${METHODS.join(', ')}.`, {
        field: 'methods',
        value: m,
      });
    }
  }
  const lr = Number(values['finetune-lr']);
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new ValueError(`--finetune-lr must be a positive number; got ${describeValue(values['finetune-lr'])}.`, {
      field: 'finetune-lr',
      value: values['finetune-lr'],
    });
  }
  return {
    help: values.help,
    ...(values.data === undefined ? {} : { dir: values.data }),
    shots: list('shots', values.shots),
    seeds: list('seeds', values.seeds),
    methods: methods as Method[],
    pretrainImages: positiveInt('pretrain-images', values['pretrain-images']),
    pretrainEpochs: positiveInt('pretrain-epochs', values['pretrain-epochs']),
    epochs: positiveInt('epochs', values.epochs),
    validationImages: positiveInt('val-images', values['val-images']),
    ...(values['test-images'] === undefined ? {} : { testImages: positiveInt('test-images', values['test-images']) }),
    cut: values.cut,
    fineTuneLearningRate: lr,
    chart: values.chart,
    backend: values.backend,
  };
}
