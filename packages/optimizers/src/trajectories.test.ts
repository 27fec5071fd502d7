// Each optimizer's trajectory on two fixed problems against PyTorch 1.13 (and, for Lion and
// LAMB, NumPy implementations of the papers' update rules): fixtures/make_reference.py wrote
// fixtures/trajectories.json; this test replays every case with our optimizers.
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { expectTensorsClose } from '@plasticity/test-utils';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  Adamax,
  ExponentialDecay,
  Lamb,
  Lion,
  Nadam,
  type Optimizer,
  RMSprop,
  SGD,
  type OptimizerConfig,
} from './index.js';

interface Encoded {
  shape: number[];
  values: number[];
}
interface Case {
  name: string;
  optimizer: string;
  config: Record<string, number | boolean>;
  problem: 'quadratic' | 'mlp';
  groups?: { names: string[]; lrMultiplier?: number; weightDecay?: number }[];
  clip?: { clipValue?: number; clipNorm?: number; globalClipNorm?: number };
  schedule?: { type: 'exponential'; decayRate: number };
  losses: number[];
  trajectory: Record<string, number[] | number[][]>[];
}
interface Fixture {
  generatedBy: string;
  steps: number;
  problems: Record<string, Record<string, Encoded | Record<string, Encoded>>>;
  cases: Case[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/trajectories.json', import.meta.url), 'utf8')) as Fixture;

const CLASSES: Record<string, new (config: OptimizerConfig & Record<string, unknown>) => Optimizer> = {
  SGD,
  Adam,
  AdamW,
  Adamax,
  Nadam,
  RMSprop,
  Adagrad,
  Adadelta,
  Lion,
  Lamb,
};

function tensorOf(e: Encoded): tf.Tensor {
  return tf.tensor(e.values, e.shape, 'float32');
}

function buildOptimizer(c: Case): Optimizer {
  const config: OptimizerConfig & Record<string, unknown> = { ...c.config, ...c.clip };
  if (c.groups !== undefined) {
    config.paramGroups = c.groups.map((g) => ({
      params: g.names,
      ...(g.lrMultiplier === undefined ? {} : { lrMultiplier: g.lrMultiplier }),
      ...(g.weightDecay === undefined ? {} : { weightDecay: g.weightDecay }),
    }));
  }
  if (c.schedule !== undefined) {
    config.learningRate = new ExponentialDecay({
      initialLearningRate: c.config['learningRate'] as number,
      decaySteps: 1,
      decayRate: c.schedule.decayRate,
    });
  }
  return new CLASSES[c.optimizer]!(config);
}

function lossFor(problem: Case['problem'], params: Record<string, tf.Variable>): () => tf.Scalar {
  const data = fixture.problems[problem]!;
  if (problem === 'quadratic') {
    const a = tensorOf(data['A'] as Encoded);
    const b = tensorOf(data['b'] as Encoded);
    return () => {
      const x = params['x']!;
      const ax = tf.matMul(a, tf.reshape(x, [3, 1]));
      return tf.sub(tf.mul(0.5, tf.sum(tf.mul(tf.reshape(x, [3, 1]), ax))), tf.sum(tf.mul(b, x))) as tf.Scalar;
    };
  }
  const x = tensorOf(data['X'] as Encoded);
  const y = tensorOf(data['Y'] as Encoded);
  return () => {
    const h = tf.tanh(tf.add(tf.matMul(x, params['w1']!), params['b1']!));
    return tf.mean(tf.square(tf.sub(tf.add(tf.matMul(h, params['w2']!), params['b2']!), y)));
  };
}

function replay(c: Case): { losses: number[]; trajectory: Record<string, Float32Array>[] } {
  const initial = fixture.problems[c.problem]!['params'] as Record<string, Encoded>;
  const params = Object.fromEntries(
    Object.entries(initial).map(([name, e]) => [name, tf.variable(tensorOf(e), true, name)]),
  );
  const optimizer = buildOptimizer(c);
  const loss = lossFor(c.problem, params);
  const losses: number[] = [];
  const trajectory: Record<string, Float32Array>[] = [];
  for (let step = 0; step < fixture.steps; step++) {
    const value = tf.tidy(() => optimizer.minimize(loss)!);
    losses.push(value.dataSync()[0]!);
    value.dispose();
    trajectory.push(Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.dataSync() as Float32Array])));
  }
  optimizer.dispose();
  tf.dispose(Object.values(params));
  return { losses, trajectory };
}

registerBackendPlugin(cpuBackend);
registerBackendPlugin(wasmBackend);

for (const backend of ['cpu', 'wasm']) {
  describe(`optimizer trajectories vs PyTorch on ${backend} (${fixture.generatedBy})`, () => {
    it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const { losses, trajectory } = tf.tidy(() => replay(c));
      expect(tf.memory().numTensors).toBe(before);
      expectTensorsClose(losses, c.losses, { rtol: 1e-5, atol: 1e-6, label: 'losses' });
      trajectory.forEach((params, step) => {
        for (const [name, values] of Object.entries(params)) {
          const expected = (c.trajectory[step]![name] as number[]).flat(2) as number[];
          expectTensorsClose(values, expected, { rtol: 1e-5, atol: 1e-6, label: `${name} after step ${step + 1}` });
        }
      });
    });
  });
}
