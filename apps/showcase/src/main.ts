#!/usr/bin/env node
/**
 * `npm start`: recommenders on MovieLens (or a seeded generated set) and transfer learning on
 * Fashion-MNIST, on the default backend, with progress bars and one results section at the end.
 * Options: `--help` (USAGE in cli.ts).
 */
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { renderProgress, writeFileAtomic } from '@plasticity/core/node';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import type { Interactions } from '@plasticity/recommenders';
import { loadMovieLensInteractions } from '@plasticity/recommenders/node';
import {
  learningCurveSvg,
  loadFashion,
  resolveFashionDir,
  runTransfer,
  transferTable,
  type TransferResult,
} from '@plasticity/app-fashion-transfer';
import { USAGE, parseCli } from './cli.js';
import { compareRecommenders, generateRatings, type RecommenderComparison } from './recommend.js';
import { recommenderTable } from './report.js';

const options = parseCli(process.argv.slice(2));
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const started = performance.now();
registerBackendPlugin(wasmBackend);
registerBackendPlugin(cpuBackend);
const choice = await useBackend(options.backend);
console.log(`backend chosen: ${choice.backend}`);
for (const skip of choice.skipped) console.log(`  skipped ${skip.name}: ${skip.reason}`);
const progress = renderProgress({ stream: process.stdout });

let recs: { result: RecommenderComparison; source: string } | undefined;
if (!options.skip.recommenders) {
  let data: Interactions;
  let source: string;
  if (options.data === 'generated') {
    data = generateRatings();
    source = `generated ratings (seeded): ${data.size} ratings`;
  } else {
    // The rating scale follows the folder's format ([0.5, 5] for "latest", [1, 5] for 100k/1m).
    data = await loadMovieLensInteractions(options.data);
    source = `MovieLens ${options.data}: ${data.size} ratings`;
  }
  console.log(`\n[1/2] recommenders on ${source}`);
  recs = {
    result: await compareRecommenders(data, {
      rating: options.rating,
      ranking: options.ranking,
      folds: options.folds,
      onEvent: progress,
    }),
    source,
  };
}

let transfer: { result: TransferResult; source: string } | undefined;
if (!options.skip.transfer) {
  const { dir, source } = resolveFashionDir(options.fashionData);
  const fashion = await loadFashion(dir);
  console.log(`\n[2/2] transfer learning on Fashion-MNIST (${source}, ${fashion.train.count} training images)`);
  const result = await runTransfer(fashion, {
    shots: options.shots,
    seeds: [1],
    epochs: options.epochs,
    pretrainImages: options.pretrainImages,
    pretrainEpochs: options.pretrainEpochs,
    validationImages: 300,
    testImages: options.testImages,
    onEvent: progress,
  });
  transfer = { result, source };
  if (options.chart !== undefined) {
    await writeFileAtomic(
      options.chart,
      await learningCurveSvg(result.curves, 'Fashion-MNIST 5–9: validation accuracy'),
    );
  }
}

console.log('\n=== Results ===');
if (recs !== undefined) {
  console.log(`\nRecommenders (${recs.source}; ${options.folds === 1 ? '80/20 split' : `${options.folds}-fold CV`}):`);
  console.log(recommenderTable(recs.result));
  if (recs.result.unavailable.length > 0) {
    console.log(`(not in this version of @plasticity/recommenders: ${recs.result.unavailable.join(', ')})`);
  }
}
if (transfer !== undefined) {
  const pre = transfer.result.pretrain;
  console.log(
    `\nTransfer, Fashion-MNIST classes 5–9 (${transfer.source}; base pretrained on ${pre.images} images of classes 0–4, ` +
      `${(100 * pre.sourceTestAccuracy).toFixed(1)}% on their test images):`,
  );
  console.log(transferTable(transfer.result.rows));
  if (options.chart !== undefined) console.log(`learning curves: ${options.chart}`);
}
console.log(`\ntime: ${((performance.now() - started) / 1000).toFixed(1)} s`);
