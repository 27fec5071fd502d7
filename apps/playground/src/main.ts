/**
 * The playground page: wires the form to backend selection (`useBackend` through
 * {@link selectBackend}), training ({@link train}), the loss chart and the decision boundary.
 */
import { listBackends } from '@plasticity/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BACKEND_OPTIONS, registerPlaygroundBackends, selectBackend, type BackendOption } from './backends.js';
import { drawBoundary } from './boundary-canvas.js';
import { DATASETS, type DatasetName, type Points2D } from './data.js';
import { LossChart } from './loss-chart.js';
import { LossHistory } from './loss-history.js';
import { DATASET_PRESETS, DEFAULT_TRAIN_OPTIONS, train, type TrainOptions } from './train.js';
import type { View } from './boundary.js';
import './style.css';

// In a bundle, tfjs-backend-wasm cannot find its .wasm files next to its script: hand it the URLs
// the bundler gave them (all three names are required, even if only one is used).
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});
registerPlaygroundBackends();

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

const form = element<HTMLFormElement>('controls');
const backendSelect = element<HTMLSelectElement>('backend');
const datasetSelect = element<HTMLSelectElement>('dataset');
const inputs = {
  samples: element<HTMLInputElement>('samples'),
  noise: element<HTMLInputElement>('noise'),
  seed: element<HTMLInputElement>('seed'),
  hidden: element<HTMLInputElement>('hidden'),
  learningRate: element<HTMLInputElement>('learning-rate'),
  batchSize: element<HTMLInputElement>('batch-size'),
  epochs: element<HTMLInputElement>('epochs'),
};
const trainButton = element<HTMLButtonElement>('train');
const stopButton = element<HTMLButtonElement>('stop');
const out = {
  chosen: element('chosen'),
  why: element('why'),
  backendError: element('backend-error'),
  skipped: element<HTMLUListElement>('skipped'),
  registered: element<HTMLOListElement>('registered'),
  status: element<HTMLOutputElement>('status'),
  epoch: element<HTMLOutputElement>('epoch'),
  loss: element<HTMLOutputElement>('loss'),
  accuracy: element<HTMLOutputElement>('accuracy'),
  stepMs: element<HTMLOutputElement>('step-ms'),
  initialLoss: element<HTMLOutputElement>('initial-loss'),
  finalLoss: element<HTMLOutputElement>('final-loss'),
  trainError: element('train-error'),
};
const boundaryCanvas = element<HTMLCanvasElement>('boundary');
const chart = new LossChart(element<HTMLCanvasElement>('loss-chart'));
const history = new LossHistory();

type Status = 'ready' | 'selecting' | 'training' | 'done' | 'stopped' | 'error';

function setStatus(status: Status, text: string = status): void {
  out.status.dataset['state'] = status;
  out.status.textContent = text;
  const busy = status === 'selecting' || status === 'training';
  trainButton.disabled = busy;
  stopButton.disabled = status !== 'training';
  for (const control of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) {
    control.disabled = busy;
  }
}

/** Shows a number as text and keeps its full value in `data-value` (read by the browser test). */
function showNumber(target: HTMLElement, value: number, digits = 4): void {
  target.dataset['value'] = String(value);
  target.textContent = Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function showMessage(target: HTMLElement, message: string | undefined): void {
  target.hidden = message === undefined;
  target.textContent = message ?? '';
}

function fillSelect(select: HTMLSelectElement, values: readonly string[]): void {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

function applyPreset(dataset: DatasetName): void {
  const preset = DATASET_PRESETS[dataset];
  inputs.samples.value = String(preset.samples);
  inputs.noise.value = String(preset.noise);
  inputs.hidden.value = String(preset.hidden);
  inputs.learningRate.value = String(preset.learningRate);
  inputs.epochs.value = String(preset.epochs);
}

function showRegistered(): void {
  out.registered.replaceChildren(
    ...listBackends()
      .filter((b) => b.plugin)
      .map((b) => {
        const li = document.createElement('li');
        li.dataset['backend'] = b.name;
        li.append(Object.assign(document.createElement('b'), { textContent: b.name }));
        li.append(` (priority ${b.priority}): ${b.description}`);
        return li;
      }),
  );
}

function showSkipped(skipped: readonly { name: string; reason: string }[]): void {
  if (skipped.length === 0) {
    out.skipped.replaceChildren(
      Object.assign(document.createElement('li'), { className: 'none', textContent: 'none' }),
    );
    return;
  }
  out.skipped.replaceChildren(
    ...skipped.map((s) => {
      const li = document.createElement('li');
      li.dataset['backend'] = s.name;
      li.append(Object.assign(document.createElement('b'), { textContent: s.name }), `: ${s.reason}`);
      return li;
    }),
  );
}

function readNumber(input: HTMLInputElement, name: string): number {
  const value = input.valueAsNumber;
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number; got "${input.value}".`);
  return value;
}

function readOptions(): Omit<TrainOptions, 'signal' | 'onStart' | 'onEpoch' | 'onEvent'> {
  return {
    ...DEFAULT_TRAIN_OPTIONS,
    dataset: datasetSelect.value as DatasetName,
    samples: readNumber(inputs.samples, 'Samples'),
    noise: readNumber(inputs.noise, 'Noise'),
    seed: readNumber(inputs.seed, 'Seed'),
    hidden: readNumber(inputs.hidden, 'Hidden units'),
    learningRate: readNumber(inputs.learningRate, 'Learning rate'),
    batchSize: readNumber(inputs.batchSize, 'Batch size'),
    epochs: readNumber(inputs.epochs, 'Epochs'),
  };
}

let controller: AbortController | undefined;

async function run(): Promise<void> {
  showMessage(out.backendError, undefined);
  showMessage(out.trainError, undefined);
  for (const o of [out.loss, out.accuracy, out.stepMs, out.initialLoss, out.finalLoss]) {
    o.textContent = '–';
    delete o.dataset['value'];
  }
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions();
  } catch (error) {
    showMessage(out.trainError, error instanceof Error ? error.message : String(error));
    setStatus('error');
    return;
  }
  setStatus('selecting', 'selecting a backend');
  const requested = backendSelect.value as BackendOption;
  let outcome: Awaited<ReturnType<typeof selectBackend>>;
  try {
    outcome = await selectBackend(requested);
  } catch (error) {
    console.error(error);
    showMessage(out.backendError, error instanceof Error ? error.message : String(error));
    setStatus('error', 'backend selection failed');
    return;
  }
  showSkipped(outcome.skipped);
  if (!outcome.ok) {
    out.chosen.dataset['backend'] = '';
    out.chosen.textContent = 'none';
    out.why.textContent = '';
    showMessage(out.backendError, outcome.message);
    setStatus('error', 'backend unavailable');
    return;
  }
  out.chosen.dataset['backend'] = outcome.backend;
  out.chosen.textContent = outcome.backend;
  out.why.textContent = outcome.why;

  controller = new AbortController();
  history.clear();
  chart.update(history, options.epochs);
  let points: Points2D | undefined;
  let view: View | undefined;
  setStatus('training', `training on ${outcome.backend}`);
  out.epoch.dataset['value'] = '0';
  out.epoch.textContent = `0 / ${options.epochs}`;
  try {
    const result = await train({
      ...options,
      signal: controller.signal,
      onStart: (start) => {
        points = start.data;
        view = start.view;
        drawBoundary(boundaryCanvas, view, points, new Float32Array(0), options.resolution);
      },
      onEpoch: (report) => {
        history.add(report.epoch, report.loss);
        chart.update(history, report.epochs);
        out.epoch.dataset['value'] = String(report.epoch);
        out.epoch.textContent = `${report.epoch} / ${report.epochs}`;
        showNumber(out.loss, report.loss);
        showNumber(out.accuracy, report.accuracy, 3);
        showNumber(out.stepMs, report.stepMs, 1);
        out.stepMs.textContent += ' ms';
        drawBoundary(boundaryCanvas, view!, points!, report.probabilities, options.resolution);
      },
    });
    showNumber(out.initialLoss, result.initialLoss);
    showNumber(out.finalLoss, result.finalLoss);
    setStatus(
      result.stopped ? 'stopped' : 'done',
      result.stopped ? `stopped after ${result.epochsRun} epochs` : `done: ${result.epochsRun} epochs`,
    );
  } catch (error) {
    console.error(error);
    showMessage(out.trainError, error instanceof Error ? error.message : String(error));
    setStatus('error');
  } finally {
    controller = undefined;
  }
}

fillSelect(backendSelect, BACKEND_OPTIONS);
fillSelect(datasetSelect, DATASETS);
const params = new URLSearchParams(location.search);
const initialBackend = params.get('backend');
if (initialBackend !== null && (BACKEND_OPTIONS as readonly string[]).includes(initialBackend)) {
  backendSelect.value = initialBackend;
}
const initialDataset = params.get('dataset');
datasetSelect.value =
  initialDataset !== null && (DATASETS as readonly string[]).includes(initialDataset)
    ? initialDataset
    : DEFAULT_TRAIN_OPTIONS.dataset;
applyPreset(datasetSelect.value as DatasetName);
inputs.seed.value = String(DEFAULT_TRAIN_OPTIONS.seed);
inputs.batchSize.value = String(DEFAULT_TRAIN_OPTIONS.batchSize);
datasetSelect.addEventListener('change', () => applyPreset(datasetSelect.value as DatasetName));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void run();
});
stopButton.addEventListener('click', () => controller?.abort());
showRegistered();
setStatus('ready');
