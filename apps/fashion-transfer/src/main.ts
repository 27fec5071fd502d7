#!/usr/bin/env node
/** `plasticity-fashion-transfer`: see `--help` (USAGE in cli.ts). */
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { renderProgress, writeFileAtomic } from '@plasticity/core/node';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { learningCurveSvg } from './chart.js';
import { USAGE, parseCli } from './cli.js';
import { loadFashion, resolveFashionDir } from './data.js';
import { METHOD_LABELS, runTransfer } from './experiment.js';
import { transferTable } from './table.js';

const options = parseCli(process.argv.slice(2));
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
registerBackendPlugin(wasmBackend);
registerBackendPlugin(cpuBackend);
await useBackend(options.backend);
const { dir, source } = resolveFashionDir(options.dir);
const data = await loadFashion(dir);
console.log(
  `Fashion-MNIST (${source}) from ${dir}: ${data.train.count} train, ${data.test.count} test images; backend ${tf.getBackend()}`,
);
const result = await runTransfer(data, {
  ...options,
  onEvent: renderProgress({ stream: process.stdout }),
  onRun: (r) =>
    console.log(
      `  ${r.shots} labels/class, seed ${r.seed}, ${METHOD_LABELS[r.method]}: ` +
        `val ${(100 * r.validationAccuracy).toFixed(1)}%, test ${(100 * r.testAccuracy).toFixed(1)}%`,
    ),
});
console.log(
  `pretrained on ${result.pretrain.images} images of classes 0–4 in ${result.pretrain.seconds.toFixed(1)} s: ` +
    `test accuracy on classes 0–4 ${(100 * result.pretrain.sourceTestAccuracy).toFixed(1)}%`,
);
console.log(`\nClasses 5–9 from a few labels per class (seeds ${options.seeds.join(',')}):`);
console.log(transferTable(result.rows));
const svg = await learningCurveSvg(result.curves, 'Fashion-MNIST classes 5–9: validation accuracy per epoch');
await writeFileAtomic(options.chart, svg);
console.log(`\nlearning curves: ${options.chart}`);
