/**
 * One training run of the playground, without the DOM: a small MLP (2 → hidden → hidden → 1,
 * tanh, sigmoid output) fitted with `@plasticity/layers`' `fit` and Adam from
 * `@plasticity/optimizers` on the active backend. After each epoch it reports the loss, the mean
 * step time and the model's probabilities on the decision-boundary grid; an `AbortSignal` stops it
 * after the current batch. Every tensor it makes is disposed before it returns.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue, type TrainingListener } from '@plasticity/core';
import { Callback, Dense, GlorotUniform, Sequential, type Logs } from '@plasticity/layers';
import { Adam } from '@plasticity/optimizers';
import { gridPoints, viewOf, type View } from './boundary.js';
import { makeDataset, type DatasetName, type Points2D } from './data.js';

export interface TrainOptions {
  dataset: DatasetName;
  samples: number;
  noise: number;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Units in each of the two hidden layers. */
  hidden: number;
  /** The decision-boundary grid is `resolution × resolution`; 0 skips it. */
  resolution: number;
  /** Aborting stops training after the current batch. */
  signal?: AbortSignal;
  /** Called once with the generated data and the view the grid covers, before training. */
  onStart?: (start: { data: Points2D; view: View }) => void | Promise<void>;
  /** Called after each epoch; training waits for it. */
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  /** Core training events from `fit` (begin, batch, epoch, end). */
  onEvent?: TrainingListener;
}

/** Defaults that train a clean decision boundary in a few seconds on any backend. */
export const DEFAULT_TRAIN_OPTIONS: Readonly<Omit<TrainOptions, 'signal' | 'onStart' | 'onEpoch' | 'onEvent'>> = {
  dataset: 'moons',
  samples: 400,
  noise: 0.1,
  seed: 7,
  epochs: 30,
  batchSize: 32,
  learningRate: 0.03,
  hidden: 16,
  resolution: 40,
};

/**
 * Per data set settings that train well: the spirals need a wider net and more epochs (their loss
 * stays near ln 2 for tens of epochs before the model finds the turns).
 */
export const DATASET_PRESETS: Readonly<
  Record<DatasetName, Pick<TrainOptions, 'samples' | 'noise' | 'epochs' | 'hidden' | 'learningRate'>>
> = {
  moons: { samples: 400, noise: 0.1, epochs: 30, hidden: 16, learningRate: 0.03 },
  spirals: { samples: 400, noise: 0.03, epochs: 150, hidden: 24, learningRate: 0.03 },
};

export interface EpochReport {
  /** Counting from 1. */
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch (binary cross-entropy). */
  loss: number;
  accuracy: number;
  /** Mean wall time of one training step (batch) in this epoch, read-back of the loss included, in ms. */
  stepMs: number;
  /** P(class 1) at each point of the boundary grid (row 0 at the top); empty when `resolution` is 0. */
  probabilities: Float32Array;
}

export interface TrainResult {
  /** Loss on the whole data set before the first step. */
  initialLoss: number;
  /** Loss on the whole data set after the last step. */
  finalLoss: number;
  finalAccuracy: number;
  /** Epochs completed (fewer than asked when stopped). */
  epochsRun: number;
  stopped: boolean;
  /** The view the grid covers. */
  view: View;
}

function checkPositiveInteger(options: TrainOptions, field: 'epochs' | 'batchSize' | 'hidden'): void {
  const value = options[field];
  if (!Number.isInteger(value) || value < 1) {
    throw new ValueError(`${field} must be an integer >= 1; got ${describeValue(value)}.`, { field, value });
  }
}

function checkOptions(options: TrainOptions): void {
  checkPositiveInteger(options, 'epochs');
  checkPositiveInteger(options, 'batchSize');
  checkPositiveInteger(options, 'hidden');
  if (!(Number.isFinite(options.learningRate) && options.learningRate > 0)) {
    throw new ValueError(`learningRate must be a number > 0; got ${describeValue(options.learningRate)}.`, {
      field: 'learningRate',
      value: options.learningRate,
    });
  }
  if (!Number.isInteger(options.resolution) || options.resolution < 0) {
    throw new ValueError(`resolution must be an integer >= 0; got ${describeValue(options.resolution)}.`, {
      field: 'resolution',
      value: options.resolution,
    });
  }
}

/** The playground's model: two tanh hidden layers and a sigmoid output, seeded. */
export function buildModel(hidden: number, seed: number): Sequential {
  return new Sequential({
    layers: [
      new Dense({
        units: hidden,
        activation: 'tanh',
        inputShape: [2],
        kernelInitializer: new GlorotUniform({ seed }),
      }),
      new Dense({ units: hidden, activation: 'tanh', kernelInitializer: new GlorotUniform({ seed: seed + 1 }) }),
      new Dense({ units: 1, activation: 'sigmoid', kernelInitializer: new GlorotUniform({ seed: seed + 2 }) }),
    ],
  });
}

/** Hands control back to the page so that it can paint and take clicks (Stop). */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Times steps, reports epochs, and turns an abort into `model.stopTraining`. */
class LiveCallback extends Callback {
  private stepStart = 0;
  private stepTotal = 0;
  private steps = 0;
  private lastYield = 0;
  epochsDone = 0;

  constructor(
    private readonly options: TrainOptions,
    private readonly grid: tf.Tensor2D | undefined,
  ) {
    super();
  }

  override onEpochBegin(): void {
    this.stepTotal = 0;
    this.steps = 0;
  }

  override onBatchBegin(): void {
    this.stepStart = performance.now();
  }

  override async onBatchEnd(): Promise<void> {
    const now = performance.now();
    this.stepTotal += now - this.stepStart;
    this.steps += 1;
    if (this.options.signal?.aborted === true) this.model!.stopTraining = true;
    if (now - this.lastYield > 50) {
      await yieldToPage();
      this.lastYield = performance.now();
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.epochsDone = epoch + 1;
    let probabilities: Float32Array = new Float32Array(0);
    if (this.grid !== undefined) {
      // One pass over the whole grid: predict's default batches of 32 would cost ~50 passes.
      const p = this.model!.predict(this.grid, { batchSize: this.grid.shape[0] }) as tf.Tensor;
      probabilities = (await p.data()) as Float32Array;
      p.dispose();
    }
    await this.options.onEpoch?.({
      epoch: epoch + 1,
      epochs: this.options.epochs,
      loss: logs['loss'] ?? NaN,
      accuracy: logs['accuracy'] ?? NaN,
      stepMs: this.steps === 0 ? 0 : this.stepTotal / this.steps,
      probabilities,
    });
    if (this.options.signal?.aborted === true) this.model!.stopTraining = true;
    await yieldToPage();
    this.lastYield = performance.now();
  }
}

/** Trains the playground model on the active backend. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  checkOptions(options);
  const data = makeDataset(options.dataset, { samples: options.samples, noise: options.noise, seed: options.seed });
  const view = viewOf(data.x);
  await options.onStart?.({ data, view });
  const x = tf.tensor2d(data.x, [options.samples, 2]);
  const y = tf.tensor2d(Float32Array.from(data.labels), [options.samples, 1]);
  const grid =
    options.resolution === 0
      ? undefined
      : tf.tensor2d(gridPoints(view, options.resolution), [options.resolution ** 2, 2]);
  const model = buildModel(options.hidden, options.seed);
  try {
    model.compile({
      // Inside fit the optimizer's NaN check joins the step's one asynchronous read: no
      // synchronous read stalls a GPU backend (or breaks WebGPU on SwiftShader).
      optimizer: new Adam({ learningRate: options.learningRate }),
      loss: 'binaryCrossentropy',
      metrics: ['accuracy'],
    });
    const before = await model.evaluate(x, y, { batchSize: options.samples });
    const live = new LiveCallback(options, grid);
    await model.fit(x, y, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      seed: options.seed,
      callbacks: [live],
      ...(options.onEvent === undefined ? {} : { progress: options.onEvent }),
    });
    const after = await model.evaluate(x, y, { batchSize: options.samples });
    return {
      initialLoss: before['loss']!,
      finalLoss: after['loss']!,
      finalAccuracy: after['accuracy']!,
      epochsRun: live.epochsDone,
      stopped: live.epochsDone < options.epochs,
      view,
    };
  } finally {
    model.dispose();
    tf.dispose([x, y, ...(grid === undefined ? [] : [grid])]);
  }
}
