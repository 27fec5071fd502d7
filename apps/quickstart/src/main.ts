#!/usr/bin/env node
/**
 * `npm start`: trains the quickstart model on the default backend and prints the backend chosen,
 * why any other was skipped, and the loss going down.
 *
 * Options: --backend auto|wasm|cpu (default auto), --threads N|auto (wasm), --epochs N, --seed N.
 */
import { renderProgress } from '@plasticity/core/node';
import { parseArgs } from 'node:util';
import { trainQuickstart } from './train.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
  },
});

const threads = values.threads === 'auto' ? 'auto' : Number(values.threads);
const started = performance.now();
const result = await trainQuickstart({
  backend: values.backend!,
  wasm: { threads },
  epochs: Number(values.epochs),
  seed: Number(values.seed),
  onBackend: ({ backend, skipped }) => {
    console.log(`backend chosen: ${backend}`);
    for (const skip of skipped) console.log(`  skipped ${skip.name}: ${skip.reason}`);
  },
  onEvent: renderProgress({ stream: process.stdout }),
});

const first = result.losses[0]!;
const last = result.losses.at(-1)!;
console.log(`train loss: ${first.toFixed(4)} (epoch 1) -> ${last.toFixed(4)} (epoch ${result.losses.length})`);
console.log(
  `test loss:  ${result.testLossBefore.toFixed(4)} (untrained) -> ${result.testLossAfter.toFixed(4)} (trained)`,
);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (!(last < first)) {
  console.error('the loss did not go down');
  process.exitCode = 1;
}
