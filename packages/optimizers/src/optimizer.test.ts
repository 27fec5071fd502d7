import * as tf from '@tensorflow/tfjs-core';
import { ArtifactError, ShapeError, ValueError, memoryIO, registerBackendPlugin, useBackend } from '@plasticity/core';
import { fileIO } from '@plasticity/core/node';
import { cpuBackend } from '@plasticity/backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  Adamax,
  CosineDecay,
  Lamb,
  Lion,
  LinearWarmup,
  Nadam,
  type Optimizer,
  RMSprop,
  SGD,
  deferFiniteChecks,
  deserializeOptimizer,
  loadOptimizer,
  resolveFiniteChecks,
  saveOptimizer,
  serializeOptimizer,
  type SkippedStepEvent,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const made: tf.Variable[] = [];
function variable(name: string, values: number[]): tf.Variable {
  const v = tf.tidy(() => tf.variable(tf.tensor1d(values), true, name));
  made.push(v);
  return v;
}
afterEach(() => {
  tf.dispose(made.splice(0));
});

function grads(map: Record<string, number[]>): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, tf.tensor1d(v)]));
}

function apply(optimizer: Optimizer, map: Record<string, number[]>): boolean {
  const g = grads(map);
  try {
    return optimizer.applyGradients(g);
  } finally {
    tf.dispose(Object.values(g));
  }
}

const values = (v: tf.Tensor): number[] => Array.from(v.dataSync());

describe('hyperparameter validation', () => {
  it('rejects bad values with a ValueError naming the field and the value', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new SGD({ learningRate: -0.1 }), /learningRate must be a finite number >= 0 or a schedule; got -0.1/],
      [() => new Adam({ beta1: 1 }), /Adam: beta1 must be in \[0, 1\); got 1/],
      [() => new Adam({ beta2: -0.1 }), /Adam: beta2 must be in \[0, 1\); got -0.1/],
      [() => new AdamW({ epsilon: 0 }), /AdamW: epsilon must be > 0; got 0/],
      [() => new SGD({ momentum: -1 }), /SGD: momentum must be >= 0; got -1/],
      [() => new SGD({ nesterov: true }), /nesterov needs momentum > 0 and dampening 0/],
      [() => new RMSprop({ rho: Number.NaN }), /RMSprop: rho must be a finite number; got NaN/],
      [() => new Lion({ weightDecay: -1 }), /Lion: weightDecay must be >= 0; got -1/],
      [() => new Adam({ accumulateSteps: 0 }), /accumulateSteps must be a positive integer; got 0/],
      [() => new Adam({ emaDecay: 1.5 }), /emaDecay must be in \[0, 1\]; got 1.5/],
      [
        () => new Adam({ nonFinite: 'warn' as never }),
        /nonFinite must be one of 'throw', 'skip', 'ignore'; got "warn"/,
      ],
      [() => new Adam({ clipNorm: 0 }), /clipNorm must be > 0; got 0/],
      [
        () => new SGD({ paramGroups: [{ params: 'b*', lrMultiplier: -2 }] }),
        /paramGroups\[0\].lrMultiplier must be >= 0; got -2/,
      ],
    ];
    for (const [make, message] of cases) {
      expect(make).toThrow(ValueError);
      expect(make).toThrow(message);
    }
  });
});

describe('applyGradients input checks', () => {
  it('rejects a gradient of the wrong shape and an unknown variable', () => {
    variable('shape-w', [1, 2, 3]);
    const sgd = new SGD({ learningRate: 0.1 });
    expect(() => apply(sgd, { 'shape-w': [1, 2] })).toThrow(ShapeError);
    expect(() => apply(sgd, { 'shape-w': [1, 2] })).toThrow(/"shape-w" has shape \[2\] but the variable has \[3\]/);
    expect(() => apply(sgd, { 'no-such-variable': [1] })).toThrow(/No variable named "no-such-variable"/);
  });
});

describe('non-finite gradients', () => {
  it('throw by default, naming the variable and the remedies', () => {
    const w = variable('nan-w', [1, 2]);
    const adam = new Adam();
    expect(() => apply(adam, { 'nan-w': [Number.NaN, 1] })).toThrow(
      /Non-finite gradient .* for "nan-w" at step 0.*nonFinite: 'skip'/,
    );
    expect(values(w)).toEqual([1, 2]);
    adam.dispose();
  });

  it("skip the step with nonFinite: 'skip', emit an event, and change nothing", () => {
    const w = variable('skip-w', [1, 2]);
    const adam = new Adam({ learningRate: 0.1, nonFinite: 'skip' });
    const events: SkippedStepEvent[] = [];
    adam.onSkippedStep((e) => events.push(e));
    expect(apply(adam, { 'skip-w': [0.5, 0.5] })).toBe(true);
    const after1 = values(w);
    const state1 = adam.getState();
    expect(apply(adam, { 'skip-w': [Infinity, 0] })).toBe(false);
    expect(events).toEqual([{ type: 'skipped-step', step: 1, variables: ['skip-w'] }]);
    expect(values(w)).toEqual(after1);
    expect(adam.iterations).toBe(1);
    const state2 = adam.getState();
    expect(values(state2.tensors['skip-w/m']!)).toEqual(values(state1.tensors['skip-w/m']!));
    tf.dispose([...Object.values(state1.tensors), ...Object.values(state2.tensors)]);
    adam.dispose();
  });
});

describe('deferred non-finite checks', () => {
  it('leave the check on the device, then throw the same error when its values are read', () => {
    const w = variable('defer-w', [1, 2]);
    const v = variable('defer-v', [3]);
    const sgd = new SGD({ learningRate: 1 });
    const dataSync = tf.Tensor.prototype.dataSync;
    let reads = 0;
    tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
      reads++;
      return dataSync.call(this);
    } as typeof dataSync;
    let checks;
    try {
      ({ checks } = deferFiniteChecks(() => apply(sgd, { 'defer-w': [0.5, Number.NaN], 'defer-v': [1] })));
    } finally {
      tf.Tensor.prototype.dataSync = dataSync;
    }
    expect(reads).toBe(0);
    // The update went through (SGD: w − g), NaN included; the check says so afterwards.
    expect(values(v)).toEqual([2]);
    expect(checks).toHaveLength(1);
    expect(checks[0]!.variables).toEqual(['defer-w', 'defer-v']);
    const sums = Array.from(checks[0]!.sums.dataSync());
    expect(sums[1]).toBe(1);
    expect(() => resolveFiniteChecks(checks, sums)).toThrow(/Non-finite gradient .* for "defer-w" at step 0/);
    expect(() => resolveFiniteChecks(checks, [0.5, 1])).not.toThrow();
    tf.dispose(checks.map((c) => c.sums));
    tf.dispose([w, v]);
    sgd.dispose();
  });

  it("keep the synchronous check for nonFinite: 'skip', which must decide before updating", () => {
    const w = variable('defer-skip-w', [1, 2]);
    const sgd = new SGD({ learningRate: 1, nonFinite: 'skip' });
    const { result, checks } = deferFiniteChecks(() => apply(sgd, { 'defer-skip-w': [Number.NaN, 0] }));
    expect(result).toBe(false);
    expect(checks).toEqual([]);
    expect(values(w)).toEqual([1, 2]);
    w.dispose();
    sgd.dispose();
  });
});

describe('weight decay, groups, clipping', () => {
  it('decays only the variables not excluded (AdamW, zero gradient)', () => {
    const kernel = variable('dense/kernel', [1, -2]);
    const bias = variable('dense/bias', [3]);
    const adamw = new AdamW({ learningRate: 0.1, weightDecay: 0.5, weightDecayExclude: ['*/bias'] });
    for (let i = 0; i < 3; i++) apply(adamw, { 'dense/kernel': [0, 0], 'dense/bias': [0] });
    // Zero gradients: Adam's step is 0, decay multiplies by (1 - lr·wd) = 0.95 per step.
    expect(values(kernel).map((v) => Number(v.toFixed(6)))).toEqual([0.857375, -1.71475]);
    expect(values(bias)).toEqual([3]);
    adamw.dispose();
  });

  it('applies each parameter group its multiplier and weight decay (SGD, exact)', () => {
    const a = variable('groups/a', [1]);
    const b = variable('groups/b', [1]);
    const c = variable('other/c', [1]);
    const sgd = new SGD({
      learningRate: 0.1,
      weightDecay: 0.1,
      paramGroups: [
        { params: /^groups\/a$/, lrMultiplier: 0 },
        { params: 'groups/*', lrMultiplier: 2, weightDecay: 0 },
      ],
    });
    apply(sgd, { 'groups/a': [1], 'groups/b': [1], 'other/c': [1] });
    expect(values(a)).toEqual([1]); // frozen by a zero multiplier
    expect(values(b)[0]).toBeCloseTo(1 - 0.2 * 1, 6); // lr 0.2, no decay
    expect(values(c)[0]).toBeCloseTo(1 - 0.1 * (1 + 0.1 * 1), 6); // lr 0.1, L2 0.1
  });

  it('clips per variable by norm and globally by norm, as their formulas say', () => {
    const a = variable('clip/a', [0, 0]);
    const b = variable('clip/b', [0]);
    const perVariable = new SGD({ learningRate: 1, clipNorm: 1 });
    apply(perVariable, { 'clip/a': [3, 4], 'clip/b': [0.5] });
    expect(values(a).map((v) => Number(v.toFixed(6)))).toEqual([-0.6, -0.8]); // norm 5 -> 1
    expect(values(b)).toEqual([-0.5]); // norm 0.5 < 1: untouched
    a.assign(tf.zeros([2]));
    b.assign(tf.zeros([1]));
    const global = new SGD({ learningRate: 1, globalClipNorm: 1 });
    apply(global, { 'clip/a': [3, 4], 'clip/b': [12] }); // global norm 13
    const coef = 1 / (13 + 1e-6);
    expect(values(a)[0]).toBeCloseTo(-3 * coef, 6);
    expect(values(b)[0]).toBeCloseTo(-12 * coef, 6);
  });
});

describe('gradient accumulation', () => {
  it('updates once every N calls with the mean gradient', () => {
    const w = variable('acc-w', [1, 1]);
    const ref = variable('acc-ref', [1, 1]);
    const accumulating = new Adam({ learningRate: 0.1, accumulateSteps: 3 });
    const plain = new Adam({ learningRate: 0.1 });
    const batches = [
      [0.3, -0.6],
      [0.9, 0.3],
      [-0.3, 0.6],
    ];
    expect(batches.map((g) => apply(accumulating, { 'acc-w': g }))).toEqual([false, false, true]);
    apply(plain, { 'acc-ref': [0.3, 0.1] });
    expect(accumulating.iterations).toBe(1);
    values(w).forEach((v, i) => expect(v).toBeCloseTo(values(ref)[i]!, 6));
    accumulating.dispose();
    plain.dispose();
  });
});

describe('exponential moving average of weights', () => {
  it('tracks ema = d·ema + (1−d)·w and swaps in and out exactly', () => {
    const w = variable('ema-w', [1]);
    const sgd = new SGD({ learningRate: 0.5, emaDecay: 0.9 });
    let ema = 0;
    for (let i = 0; i < 4; i++) {
      apply(sgd, { 'ema-w': [1] });
      const live = values(w)[0]!;
      ema = i === 0 ? live : 0.9 * ema + 0.1 * live;
    }
    const live = values(w);
    const averaged = sgd.emaValues();
    expect(values(averaged['ema-w']!)[0]).toBeCloseTo(ema, 6);
    tf.dispose(Object.values(averaged));
    sgd.swapEmaWeights();
    expect(sgd.emaSwappedIn).toBe(true);
    expect(values(w)[0]).toBeCloseTo(ema, 6);
    expect(() => apply(sgd, { 'ema-w': [1] })).toThrow(/EMA weights are swapped in/);
    sgd.swapEmaWeights();
    expect(values(w)).toEqual(live);
    sgd.dispose();
  });
});

describe('state', () => {
  const makers: [string, () => Optimizer][] = [
    ['SGD nesterov', () => new SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    [
      'Adam amsgrad + schedule',
      () => new Adam({ amsgrad: true, learningRate: new CosineDecay({ initialLearningRate: 0.05, decaySteps: 20 }) }),
    ],
    ['AdamW + EMA', () => new AdamW({ learningRate: 0.05, emaDecay: 0.8 })],
    ['Adamax', () => new Adamax({ learningRate: 0.05 })],
    ['Nadam', () => new Nadam({ learningRate: 0.05 })],
    ['RMSprop centered', () => new RMSprop({ centered: true, momentum: 0.5 })],
    ['Adagrad', () => new Adagrad({ lrDecay: 0.1 })],
    ['Adadelta', () => new Adadelta()],
    ['Lion + warm-up', () => new Lion({ learningRate: new LinearWarmup({ schedule: 0.01, warmupSteps: 4 }) })],
    ['Lamb + accumulation', () => new Lamb({ learningRate: 0.05, accumulateSteps: 2, weightDecay: 0.01 })],
  ];

  const gradientAt = (step: number): number[] => [Math.sin(step + 1), Math.cos(2 * step) - 0.3, 0.1 * step - 0.4];

  it.each(makers)('%s: 10 steps equal 5 steps + save + load + 5 steps, bit for bit', async (_name, make) => {
    const straight = variable('state/w', [0.5, -1, 2]);
    const a = make();
    for (let s = 0; s < 10; s++) apply(a, { 'state/w': gradientAt(s) });
    const expected = values(straight);
    const aState = a.getState();
    a.dispose();
    straight.assign(tf.tensor1d([0.5, -1, 2]));

    const b = make();
    for (let s = 0; s < 5; s++) apply(b, { 'state/w': gradientAt(s) });
    await saveOptimizer(b, memoryIO('optimizer-state'));
    b.dispose();
    const c = await loadOptimizer(memoryIO('optimizer-state'));
    expect(c.constructor).toBe(a.constructor);
    for (let s = 5; s < 10; s++) apply(c, { 'state/w': gradientAt(s) });
    expect(values(straight)).toEqual(expected);
    const cState = c.getState();
    expect(cState.meta).toEqual(aState.meta);
    expect(Object.keys(cState.tensors).sort()).toEqual(Object.keys(aState.tensors).sort());
    for (const key of Object.keys(aState.tensors))
      expect(values(cState.tensors[key]!)).toEqual(values(aState.tensors[key]!));
    tf.dispose([...Object.values(aState.tensors), ...Object.values(cState.tensors)]);
    c.dispose();
  });

  it('saves to a directory through the file handler, atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plasticity-opt-'));
    try {
      variable('file/w', [1, 2]);
      const adam = new Adam({ learningRate: 0.1, weightDecayExclude: [/bias/i] });
      apply(adam, { 'file/w': [0.1, 0.2] });
      await saveOptimizer(adam, fileIO(dir));
      const loaded = await loadOptimizer<Adam>(fileIO(dir));
      expect(loaded).toBeInstanceOf(Adam);
      expect(loaded.iterations).toBe(1);
      expect(loaded.weightDecayExclude).toEqual([/bias/i]);
      adam.dispose();
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an artifact that is not an optimizer', async () => {
    await memoryIO('not-an-optimizer').save!({
      modelTopology: { class_name: 'Sequential' },
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    });
    await expect(loadOptimizer(memoryIO('not-an-optimizer'))).rejects.toThrow(ArtifactError);
    await expect(loadOptimizer(memoryIO('not-an-optimizer'))).rejects.toThrow(
      /is not an optimizer saved by @plasticity\/optimizers/,
    );
  });
});

describe('serialization', () => {
  it('round-trips every optimizer config through { className, config }', () => {
    const all: Optimizer[] = [
      new SGD({ momentum: 0.5, paramGroups: [{ params: ['a', /b/g], lrMultiplier: 0.5 }] }),
      new Adam({ amsgrad: true, clipValue: 1 }),
      new AdamW({ globalClipNorm: 2, weightDecayExclude: ['*bias'] }),
      new Adamax(),
      new Nadam({ momentumDecay: 0.01 }),
      new RMSprop({ centered: true }),
      new Adagrad({ initialAccumulatorValue: 0.1 }),
      new Adadelta({ rho: 0.8 }),
      new Lion({ emaDecay: 0.99 }),
      new Lamb({ accumulateSteps: 4, nonFinite: 'skip' }),
    ];
    for (const optimizer of all) {
      const saved = JSON.parse(JSON.stringify(serializeOptimizer(optimizer)));
      const copy = deserializeOptimizer(saved);
      expect(copy.constructor).toBe(optimizer.constructor);
      expect(copy.getConfig()).toEqual(optimizer.getConfig());
    }
  });
});

describe('memory', () => {
  it.each([
    ['SGD', () => new SGD({ momentum: 0.9 })],
    ['Adam', () => new Adam({ amsgrad: true, clipNorm: 1 })],
    ['AdamW', () => new AdamW({ globalClipNorm: 1, emaDecay: 0.9 })],
    ['Adamax', () => new Adamax()],
    ['Nadam', () => new Nadam()],
    ['RMSprop', () => new RMSprop({ centered: true, momentum: 0.9 })],
    ['Adagrad', () => new Adagrad()],
    ['Adadelta', () => new Adadelta()],
    ['Lion', () => new Lion({ weightDecay: 0.1 })],
    ['Lamb', () => new Lamb({ accumulateSteps: 2 })],
  ] as [string, () => Optimizer][])('%s keeps the tensor count unchanged over 1,000 steps', (_name, make) => {
    const w = variable('leak/w', [0.5, -0.5, 1, 2]);
    const optimizer = make();
    const loss = (): tf.Scalar => tf.sum(tf.square(tf.sub(w, 0.3)));
    // Warm up until every slot exists (two calls: Lamb accumulates over two).
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        optimizer.minimize(loss, false);
      });
    }
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      tf.tidy(() => {
        optimizer.minimize(loss, false);
      });
    }
    expect(tf.memory().numTensors).toBe(after1);
    const before = tf.memory().numTensors;
    optimizer.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});

describe('learning-rate scale (what ReduceLROnPlateau drives)', () => {
  it('multiplies the scheduled rate and is kept in the state', async () => {
    const { PlateauTracker } = await import('./index.js');
    const w = variable('scale/w', [1]);
    const sgd = new SGD({ learningRate: 0.1 });
    const tracker = new PlateauTracker({ patience: 0, factor: 0.1 });
    for (const metric of [1, 1]) {
      const lr = sgd.currentLearningRate();
      sgd.learningRateScale *= tracker.update(metric, lr) / lr;
    }
    expect(sgd.currentLearningRate()).toBeCloseTo(0.01, 12);
    apply(sgd, { 'scale/w': [1] });
    expect(values(w)[0]).toBeCloseTo(1 - 0.01, 6);
    const state = sgd.getState();
    expect(state.meta.learningRateScale).toBeCloseTo(0.1, 12);
    expect(() => (sgd.learningRateScale = -1)).toThrow(/learningRateScale must be >= 0/);
  });
});
