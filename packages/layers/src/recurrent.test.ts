import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
// SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed against @tensorflow/tfjs-layers 4.22 with
// the same weights (an independent implementation on the same tfjs-core engine), a float64 loop
// for what tfjs-layers lacks (GRU resetAfter), and gradients against finite differences.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, memoryIO, randomTensor, ShapeError, ValueError } from '@plasticity/core';
import { Adam } from '@plasticity/optimizers';
import { expectGradientsMatchFiniteDifferences, expectNoTensorLeaks, expectTensorsClose } from '@plasticity/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Dense,
  GRU,
  L2,
  LSTM,
  Model,
  Sequential,
  SimpleRNN,
  TimeDistributed,
  input,
  loadModel,
  type Layer,
  type MergeMode,
  type RNN,
  type SymbolicTensor,
} from './index.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

let seed = 500;
const rand = (shape: number[], scale = 1): tf.Tensor =>
  randomTensor(shape, createRng(seed++), { min: -scale, max: scale });
const list = (y: tf.Tensor | tf.Tensor[]): tf.Tensor[] => (Array.isArray(y) ? y : [y]);
let tflCount = 0;
const tflName = (): string => `tfl_ref_${tflCount++}`;

/** Compares every output of ours and theirs to 1e-5. */
function expectSameOutputs(ours: tf.Tensor | tf.Tensor[], theirs: tf.Tensor | tf.Tensor[], label: string): void {
  const a = list(ours);
  const b = list(theirs);
  expect(a.length, `${label}: number of outputs`).toBe(b.length);
  a.forEach((t, i) => expectTensorsClose(t, b[i]!, { rtol: 1e-5, atol: 1e-5, label: `${label} output ${i}` }));
}

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';
const OURS: Record<Kind, new (c: never) => RNN> = { SimpleRNN, LSTM, GRU } as never;
const THEIRS: Record<Kind, (c: never) => tfl.layers.Layer> = {
  SimpleRNN: tfl.layers.simpleRNN,
  LSTM: tfl.layers.lstm,
  GRU: tfl.layers.gru,
} as never;
const STATES: Record<Kind, number> = { SimpleRNN: 1, LSTM: 2, GRU: 1 };

/** Builds ours with a non-zero bias, copies its weights into tfjs-layers' twin, runs both. */
function compareWithTfjs(kind: Kind, config: Record<string, unknown>, withInitialState = false): void {
  const units = 3;
  const x = rand([2, 4, 5]);
  const states = withInitialState ? Array.from({ length: STATES[kind] }, () => rand([2, units])) : [];
  const ours = new OURS[kind]({ units, biasInitializer: 'randomNormal', ...config } as never);
  const y = ours.apply([x, ...states]);
  const theirs = THEIRS[kind]({ units, name: tflName(), ...config } as never);
  theirs.apply(x); // builds
  theirs.setWeights(ours.getWeights());
  const expected = theirs.apply(x, states.length === 0 ? {} : { initialState: states }) as tf.Tensor | tf.Tensor[];
  expectSameOutputs(y, expected, `${kind} ${JSON.stringify(config)}${withInitialState ? ' with initial state' : ''}`);
  expect(ours.computeOutputShape([[2, 4, 5], ...states.map((s) => [...s.shape])])).toEqual(
    list(y).length === 1 ? [...list(y)[0]!.shape] : list(y).map((t) => [...t.shape]),
  );
}

/** Checks d(Σ outputs · w)/d(inputs) and d/d(every trainable weight) against central differences. */
function gradientCheck(layer: Layer, xs: tf.Tensor[], training = false): void {
  const run = (inputs: tf.Tensor[]): tf.Tensor[] =>
    list((layer.apply as (i: tf.Tensor[], a: object) => tf.Tensor | tf.Tensor[])(inputs, { training }));
  const outs = tf.tidy(() => run(xs));
  const ws = outs.map((o) => rand([...o.shape]));
  tf.dispose(outs);
  const loss = (inputs: tf.Tensor[]): tf.Scalar =>
    tf.addN(run(inputs).map((o, i) => tf.sum(tf.mul(o, ws[i]!)))) as tf.Scalar;
  expectGradientsMatchFiniteDifferences((...args) => loss(args), xs);
  for (const variable of layer.trainableWeights) {
    const { grads, value } = tf.variableGrads(() => loss(xs), [variable]);
    const analytic = grads[variable.name]!;
    const base = variable.dataSync().slice();
    const eps = 1e-2;
    const numeric = new Float32Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number): number => {
        const shifted = base.slice();
        shifted[i] = base[i]! + delta;
        variable.assign(tf.tensor(shifted, variable.shape));
        return tf.tidy(() => loss(xs).dataSync()[0]!);
      };
      numeric[i] = (at(eps) - at(-eps)) / (2 * eps);
    }
    variable.assign(tf.tensor(base, variable.shape));
    expectTensorsClose(
      analytic,
      { values: numeric, shape: variable.shape },
      { rtol: 2e-2, atol: 2e-3, label: `gradient of ${variable.name}` },
    );
    tf.dispose([analytic, value]);
  }
  tf.dispose(ws);
}

describe('SimpleRNN, LSTM and GRU match tfjs-layers', () => {
  for (const kind of ['SimpleRNN', 'LSTM', 'GRU'] as const) {
    it(`${kind}: last output, sequences, states, goBackwards, initial state, activations`, () => {
      compareWithTfjs(kind, {});
      compareWithTfjs(kind, { returnSequences: true });
      compareWithTfjs(kind, { returnState: true });
      compareWithTfjs(kind, { returnSequences: true, returnState: true, goBackwards: true });
      compareWithTfjs(kind, { goBackwards: true });
      compareWithTfjs(kind, { returnSequences: true, returnState: true }, true);
      compareWithTfjs(kind, { activation: 'relu', useBias: false, returnSequences: true });
      if (kind !== 'SimpleRNN') compareWithTfjs(kind, { recurrentActivation: 'sigmoid', returnState: true }, true);
    });
  }

  it('LSTM unitForgetBias initializes the forget-gate bias to one and the rest from biasInitializer', () => {
    const lstm = new LSTM({ units: 2, biasInitializer: { className: 'Constant', config: { value: 0.5 } } });
    lstm.apply(rand([1, 2, 3]));
    expect(Array.from(lstm.bias!.dataSync())).toEqual([0.5, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5]);
    const plain = new LSTM({ units: 2, unitForgetBias: false, biasInitializer: 'ones' });
    plain.apply(rand([1, 2, 3]));
    expect(Array.from(plain.bias!.dataSync())).toEqual(new Array(8).fill(1));
  });

  it('initialState as an option equals initial states as extra inputs', () => {
    const lstm = new LSTM({ units: 3, returnSequences: true });
    const x = rand([2, 3, 4]);
    const h = rand([2, 3]);
    const c = rand([2, 3]);
    expectTensorsClose(lstm.apply(x, { initialState: [h, c] }), lstm.apply([x, h, c]) as tf.Tensor, {
      rtol: 0,
      atol: 0,
    });
  });
});

/** GRU with resetAfter (Keras 2.3+), as a float64 loop. */
function gruResetAfterReference(
  x: number[][][],
  W: number[][],
  U: number[][],
  bias: number[][],
  units: number,
  sigmoid: (v: number) => number,
): number[][][] {
  return x.map((seq) => {
    let h = new Array<number>(units).fill(0);
    return seq.map((xt) => {
      const xw = W[0]!.map((_, j) => bias[0]![j]! + xt.reduce((s, v, i) => s + v * W[i]![j]!, 0));
      const hu = U[0]!.map((_, j) => bias[1]![j]! + h.reduce((s, v, i) => s + v * U[i]![j]!, 0));
      const next = h.map((hv, j) => {
        const z = sigmoid(xw[j]! + hu[j]!);
        const r = sigmoid(xw[units + j]! + hu[units + j]!);
        const candidate = Math.tanh(xw[2 * units + j]! + r * hu[2 * units + j]!);
        return z * hv + (1 - z) * candidate;
      });
      h = next;
      return next;
    });
  });
}

describe('GRU resetAfter (Keras 2.3+ variant)', () => {
  it('matches the float64 reference, has a [2, 3·units] bias, and gradients match finite differences', () => {
    const units = 3;
    const gru = new GRU({ units, resetAfter: true, recurrentActivation: 'sigmoid', biasInitializer: 'randomNormal' });
    const x = rand([2, 4, 2]);
    const y = gru.apply(x.clone().reshape([2, 4, 2]) as tf.Tensor3D);
    expect(gru.bias!.shape).toEqual([2, 9]);
    expect(gru.countParams()).toBe(3 * (units * (2 + units) + 2 * units));
    const seqOut = new GRU({
      units,
      resetAfter: true,
      recurrentActivation: 'sigmoid',
      returnSequences: true,
    });
    seqOut.apply(x);
    seqOut.setWeights(gru.getWeights());
    const ref = gruResetAfterReference(
      x.arraySync() as number[][][],
      gru.kernel!.arraySync() as number[][],
      gru.recurrentKernel!.arraySync() as number[][],
      gru.bias!.arraySync() as number[][],
      units,
      (v) => 1 / (1 + Math.exp(-v)),
    );
    expectTensorsClose(seqOut.apply(x), { values: ref.flat(2), shape: [2, 4, units] }, { rtol: 1e-5, atol: 1e-5 });
    expectTensorsClose(y, { values: ref.flatMap((s) => s[3]!), shape: [2, units] }, { rtol: 1e-5, atol: 1e-5 });
    gradientCheck(new GRU({ units: 2, resetAfter: true, biasInitializer: 'randomNormal' }), [rand([2, 3, 2], 0.5)]);
  });
});

describe('gradients match finite differences', () => {
  it('SimpleRNN, LSTM and GRU with states and goBackwards', () => {
    gradientCheck(new SimpleRNN({ units: 2, biasInitializer: 'randomNormal', returnSequences: true }), [
      rand([2, 3, 2], 0.5),
    ]);
    gradientCheck(new LSTM({ units: 2, returnState: true, goBackwards: true }), [
      rand([2, 3, 2], 0.5),
      rand([2, 2], 0.5),
      rand([2, 2], 0.5),
    ]);
    gradientCheck(new GRU({ units: 2, returnSequences: true, recurrentActivation: 'sigmoid' }), [
      rand([1, 3, 3], 0.5),
      rand([1, 2], 0.5),
    ]);
  });

  it('Bidirectional and TimeDistributed', () => {
    gradientCheck(
      new Bidirectional({ layer: new LSTM({ units: 2, returnSequences: true, recurrentActivation: 'sigmoid' }) }),
      [rand([1, 3, 2], 0.5)],
    );
    gradientCheck(new TimeDistributed({ layer: new Dense({ units: 2, activation: 'tanh' }) }), [rand([2, 3, 2])]);
  });
});

describe('dropout', () => {
  it('drops while training only, with one input mask per sequence', () => {
    const layer = new SimpleRNN({ units: 3, dropout: 0.5, seed: 11, returnSequences: true });
    const x = rand([6, 4, 3]);
    const inference = layer.apply(x, { training: false });
    const plain = new SimpleRNN({ units: 3, returnSequences: true });
    plain.apply(x);
    plain.setWeights(layer.getWeights());
    expectTensorsClose(inference, plain.apply(x), { rtol: 0, atol: 0 });
    const trained = layer.apply(x, { training: true });
    expect(Array.from(trained.dataSync())).not.toEqual(Array.from(inference.dataSync()));
    // Every sequence must equal the no-dropout layer on x·m for one m ∈ {0, 2}^3 shared by all steps.
    const masks = Array.from({ length: 8 }, (_, k) => [0, 1, 2].map((i) => ((k >> i) & 1) * 2));
    const rows = tf.split(x, 6, 0);
    const trainedRows = tf.split(trained, 6, 0);
    rows.forEach((row, b) => {
      const matches = masks.filter((m) => {
        const y = plain.apply(tf.mul(row, tf.tensor1d(m)));
        const d = tf.max(tf.abs(tf.sub(y, trainedRows[b]!))).dataSync()[0]!;
        return d < 1e-5;
      });
      expect(matches.length, `sequence ${b} is explained by one per-sequence mask`).toBeGreaterThanOrEqual(1);
    });
  });

  it('recurrent dropout changes training outputs only', () => {
    for (const Cls of [LSTM, GRU]) {
      const layer = new Cls({ units: 4, recurrentDropout: 0.5, seed: 3 });
      const x = rand([3, 5, 2]);
      const a = layer.apply(x, { training: false });
      const b = layer.apply(x, { training: false });
      expectTensorsClose(a, b, { rtol: 0, atol: 0 });
      const c = layer.apply(x, { training: true });
      expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
    }
  });
});

describe('Bidirectional matches tfjs-layers', () => {
  const modes: MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];
  for (const kind of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
    it(`${kind}: every merge mode, sequences and states`, () => {
      for (const mergeMode of modes) {
        for (const rnnConfig of [{ returnSequences: true }, { returnState: true }, {}]) {
          const x = rand([2, 4, 3]);
          const ours = new Bidirectional({ layer: new OURS[kind]({ units: 2, ...rnnConfig } as never), mergeMode });
          const y = ours.apply(x);
          const theirs = tfl.layers.bidirectional({
            layer: THEIRS[kind]({ units: 2, ...rnnConfig } as never) as never,
            mergeMode: mergeMode ?? (null as never),
            name: tflName(),
          });
          theirs.apply(x);
          theirs.setWeights(ours.getWeights());
          expectSameOutputs(y, theirs.apply(x) as tf.Tensor | tf.Tensor[], `Bidirectional(${kind}) ${mergeMode}`);
          const shapes = ours.computeOutputShape([2, 4, 3]);
          const expectedShapes = list(y).map((t) => [...t.shape]);
          expect(list(y).length === 1 ? [shapes] : shapes).toEqual(expectedShapes);
        }
      }
    });
  }

  it('passes initial states: forward states then backward states', () => {
    const x = rand([2, 3, 3]);
    const states = [rand([2, 2]), rand([2, 2]), rand([2, 2]), rand([2, 2])];
    const ours = new Bidirectional({ layer: new LSTM({ units: 2, returnSequences: true }) });
    const y = ours.apply([x, ...states]);
    const theirs = tfl.layers.bidirectional({
      layer: tfl.layers.lstm({ units: 2, returnSequences: true }) as never,
      name: tflName(),
    });
    theirs.apply(x);
    theirs.setWeights(ours.getWeights());
    expectSameOutputs(y, theirs.apply(x, { initialState: states }) as tf.Tensor, 'Bidirectional initial state');
    expect(() => ours.apply([x, states[0]!])).toThrow(/takes 4 initial states/);
  });

  it('names weights forward_<inner>/… then backward_<inner>/…', () => {
    const bi = new Bidirectional({ layer: new GRU({ units: 2, name: 'g' }) });
    bi.apply(rand([1, 2, 3]));
    expect(bi.weightEntries.map((w) => w.name)).toEqual([
      'forward_g/kernel',
      'forward_g/recurrent_kernel',
      'forward_g/bias',
      'backward_g/kernel',
      'backward_g/recurrent_kernel',
      'backward_g/bias',
    ]);
  });
});

describe('TimeDistributed matches tfjs-layers', () => {
  it('applies a Dense layer to every step', () => {
    const x = rand([2, 5, 3]);
    const ours = new TimeDistributed({ layer: new Dense({ units: 4, activation: 'tanh', biasInitializer: 'ones' }) });
    const y = ours.apply(x);
    const theirs = tfl.layers.timeDistributed({
      layer: tfl.layers.dense({ units: 4, activation: 'tanh' }),
      name: tflName(),
    });
    theirs.apply(x);
    theirs.setWeights(ours.getWeights());
    expectSameOutputs(y, theirs.apply(x) as tf.Tensor, 'TimeDistributed(Dense)');
    expect(ours.computeOutputShape([null, 5, 3])).toEqual([null, 5, 4]);
    expect(ours.weightEntries.map((w) => w.name)).toEqual(['kernel', 'bias']);
    expect(() => ours.apply(rand([2, 3]))).toThrow(ShapeError);
    expect(() => ours.apply([x, x])).toThrow(/takes one input; got 2/);
  });
});

describe('stateful', () => {
  it('carries the final states into the next call, as tfjs-layers, and resetStates starts over', async () => {
    for (const kind of ['LSTM', 'GRU', 'SimpleRNN'] as const) {
      const config = { units: 3, stateful: true, returnSequences: true, batchInputShape: [2, 3, 4] };
      const ours = new OURS[kind]({ ...config, biasInitializer: 'randomNormal' } as never);
      const theirs = THEIRS[kind]({ ...config, name: tflName() } as never);
      const [x1, x2] = [rand([2, 3, 4]), rand([2, 3, 4])];
      const y1 = ours.apply(x1);
      theirs.apply(tf.zerosLike(x1));
      theirs.setWeights(ours.getWeights());
      theirs.resetStates();
      expectSameOutputs(y1, theirs.apply(x1) as tf.Tensor, `${kind} stateful call 1`);
      const y2 = ours.apply(x2);
      expectSameOutputs(y2, theirs.apply(x2) as tf.Tensor, `${kind} stateful call 2`);
      // Two stateful calls equal one call on the concatenated sequence.
      const whole = new OURS[kind]({ units: 3, returnSequences: true } as never);
      whole.apply(x1);
      whole.setWeights(ours.getWeights());
      expectTensorsClose(tf.concat([y1, y2], 1), whole.apply(tf.concat([x1, x2], 1)), { rtol: 1e-5, atol: 1e-5 });
      ours.resetStates();
      expectTensorsClose(ours.apply(x1), y1, { rtol: 0, atol: 0 });
      // Building, stateful calls and dispose leave no tensors behind.
      await expectNoTensorLeaks(() => {
        const layer = new OURS[kind]({ ...config } as never);
        tf.dispose(layer.apply(x1));
        tf.dispose(layer.apply(x2));
        layer.resetStates();
        layer.dispose();
      });
      expect(() => ours.apply(rand([3, 3, 4]))).toThrow(/is stateful with batch size 2; got a batch of 3/);
    }
  });

  it('Bidirectional carries both directions and resets both', () => {
    const bi = new Bidirectional({
      layer: new GRU({ units: 2, stateful: true, batchInputShape: [2, 3, 4], returnState: true }),
    });
    const x = rand([2, 3, 4]);
    const first = bi.apply([x]) as tf.Tensor[];
    const second = bi.apply([x]) as tf.Tensor[];
    // The second call starts from the first call's final states, in each direction.
    const forward = new GRU({ units: 2, returnState: true });
    forward.apply(x);
    forward.setWeights(bi.forwardLayer.getWeights());
    const expected = forward.apply([x, first[1]!]) as tf.Tensor[];
    expectTensorsClose(second[1]!, expected[1]!, { rtol: 1e-5, atol: 1e-5 });
    const backward = new GRU({ units: 2, returnState: true, goBackwards: true });
    backward.apply(x);
    backward.setWeights(bi.backwardLayer.getWeights());
    expectTensorsClose(second[2]!, (backward.apply([x, first[2]!]) as tf.Tensor[])[1]!, { rtol: 1e-5, atol: 1e-5 });
    bi.resetStates();
    expectTensorsClose((bi.apply([x]) as tf.Tensor[])[0]!, first[0]!, { rtol: 0, atol: 0 });
  });

  it('gradients through carried states match finite differences', () => {
    const lstm = new LSTM({ units: 2, stateful: true, batchInputShape: [1, 3, 2], recurrentActivation: 'sigmoid' });
    const h = [rand([1, 2], 0.5), rand([1, 2], 0.5)];
    lstm.apply(rand([1, 3, 2]));
    const w = rand([1, 2]);
    const loss = (x: tf.Tensor): tf.Scalar => {
      lstm.resetStates(h);
      return tf.sum(tf.mul(lstm.apply(x), w));
    };
    const x = rand([1, 3, 2], 0.5);
    expectGradientsMatchFiniteDifferences(loss, [x]);
    const { grads, value } = tf.variableGrads(() => loss(x), [lstm.recurrentKernel!]);
    const base = lstm.recurrentKernel!.dataSync().slice();
    const numeric = Array.from(base, (_, i) => {
      const at = (d: number): number => {
        const shifted = base.slice();
        shifted[i] = base[i]! + d;
        lstm.recurrentKernel!.assign(tf.tensor(shifted, lstm.recurrentKernel!.shape));
        return tf.tidy(() => loss(x).dataSync()[0]!);
      };
      return (at(1e-2) - at(-1e-2)) / 2e-2;
    });
    lstm.recurrentKernel!.assign(tf.tensor(base, lstm.recurrentKernel!.shape));
    expectTensorsClose(grads[lstm.recurrentKernel!.name]!, numeric, { rtol: 2e-2, atol: 2e-3 });
    tf.dispose([grads[lstm.recurrentKernel!.name]!, value]);
    expect(() => lstm.resetStates([h[0]!])).toThrow(/has 2 state\(s\); got 1/);
    expect(() => lstm.resetStates([rand([2, 2]), h[1]!])).toThrow(/state 0 must have shape \[1,2\]; got \[2,2\]/);
  });
});

describe('regularizers and constraints', () => {
  it('apply to kernel, recurrent kernel and bias, through Bidirectional too', () => {
    const lstm = new LSTM({
      units: 2,
      kernelRegularizer: new L2({ l2: 0.1 }),
      recurrentRegularizer: new L2({ l2: 0.2 }),
      biasRegularizer: new L2({ l2: 0.3 }),
      kernelConstraint: 'nonNeg',
    });
    lstm.apply(rand([1, 2, 3]));
    const sq = (v: tf.Variable): number => Array.from(v.dataSync()).reduce((s, x) => s + x * x, 0);
    const expected = 0.1 * sq(lstm.kernel!) + 0.2 * sq(lstm.recurrentKernel!) + 0.3 * sq(lstm.bias!);
    expect(lstm.regularizationLoss()!.dataSync()[0]).toBeCloseTo(expected, 5);
    lstm.applyConstraints();
    expect(Math.min(...lstm.kernel!.dataSync())).toBeGreaterThanOrEqual(0);
    const bi = new Bidirectional({ layer: new GRU({ units: 2, recurrentRegularizer: new L2({ l2: 0.5 }) }) });
    bi.apply(rand([1, 2, 3]));
    const both = 0.5 * (sq(bi.forwardLayer.recurrentKernel!) + sq(bi.backwardLayer.recurrentKernel!));
    expect(bi.regularizationLoss()!.dataSync()[0]).toBeCloseTo(both, 5);
    bi.forwardLayer.trainable = false;
    expect(bi.trainableWeights).toEqual(bi.backwardLayer.weights);
  });
});

describe('parameter counts follow the Keras formulas', () => {
  it('in summary()', () => {
    const [inputDim, u] = [7, 5];
    const x = input({ shape: [6, inputDim] });
    const a = new SimpleRNN({ units: u, returnSequences: true, name: 's' }).apply(x);
    const b = new LSTM({ units: u, returnSequences: true, name: 'l' }).apply(x);
    const c = new GRU({ units: u, returnSequences: true, name: 'g' }).apply(x);
    const d = new Bidirectional({ layer: new LSTM({ units: u }), name: 'bi' }).apply(x);
    const e = new TimeDistributed({ layer: new Dense({ units: 3 }), name: 'td' }).apply(a);
    const model = new Model({ inputs: x, outputs: [b, c, d, e] as SymbolicTensor[] });
    const expected: Record<string, number> = {
      s: u * (inputDim + u) + u,
      l: 4 * (u * (inputDim + u) + u),
      g: 3 * (u * (inputDim + u) + u),
      bi: 2 * 4 * (u * (inputDim + u) + u),
      td: u * 3 + 3,
    };
    const text = model.summary(() => {});
    for (const [name, count] of Object.entries(expected)) {
      expect(model.getLayer(name).countParams(), name).toBe(count);
      expect(text).toMatch(new RegExp(`${name} \\(\\w+\\)\\s+\\S+\\s+${count}\\b`));
    }
    expect(text).toContain(`Total params: ${Object.values(expected).reduce((p, q) => p + q, 0)}`);
    expect(text).toMatch(/bi \(Bidirectional\)\s+\[null,10\]/);
  });
});

describe('save and load', () => {
  it('round-trips a functional model with RNNs, wrappers and initial states', async () => {
    const x = input({ shape: [4, 3], name: 'seq' });
    const h0 = input({ shape: [5], name: 'h0' });
    const seq = new Bidirectional({
      layer: new LSTM({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }),
      mergeMode: 'sum',
    }).apply(x);
    const td = new TimeDistributed({ layer: new Dense({ units: 3, activation: 'relu' }) }).apply(seq);
    const gru = new GRU({ units: 5, resetAfter: true, goBackwards: true }).apply([td, h0]) as SymbolicTensor;
    const rnn = new SimpleRNN({ units: 2 }).apply(td);
    const model = new Model({ inputs: [x, h0], outputs: [gru, rnn] });
    const data = [rand([3, 4, 3]), rand([3, 5])];
    const before = model.predict(data) as tf.Tensor[];
    await model.save(memoryIO('rnn-roundtrip'));
    const loaded = await loadModel(memoryIO('rnn-roundtrip'));
    const after = loaded.predict(data) as tf.Tensor[];
    before.forEach((t, i) => expectTensorsClose(after[i]!, t, { rtol: 0, atol: 0 }));
    expect(loaded.countParams()).toBe(model.countParams());
    const bi = loaded.layers.find((l) => l instanceof Bidirectional)!;
    expect(bi.mergeMode).toBe('sum');
    expect(bi.forwardLayer).toBeInstanceOf(LSTM);
    expect(bi.forwardLayer.recurrentActivation).toBe('sigmoid');
    expect((loaded.layers.find((l) => l instanceof GRU) as GRU).resetAfter).toBe(true);
  });
});

describe('no tensor leaks', () => {
  it('across fit, trainOnBatch and predict with recurrent layers', async () => {
    const model = new Sequential({
      layers: [
        new Bidirectional({
          layer: new GRU({ units: 3, returnSequences: true, dropout: 0.2, recurrentDropout: 0.2 }),
          inputShape: [4, 2],
        }),
        new LSTM({ units: 3 }),
        new Dense({ units: 1 }),
      ],
    });
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const x = rand([8, 4, 2]);
    const y = rand([8, 1]);
    model.trainOnBatch(x, y); // creates the optimizer slots
    await expectNoTensorLeaks(async () => {
      await model.fit(x, y, { epochs: 2, batchSize: 4 });
      model.trainOnBatch(x, y);
      tf.dispose(model.predict(x, { batchSize: 3 }));
    });
  });
});

describe('bad input', () => {
  it('throws typed errors naming the value and the fix', () => {
    expect(() => new LSTM({ units: 0 })).toThrow(/LSTM: units must be a positive integer; got 0/);
    expect(() => new GRU({ units: 2, dropout: 1.5 })).toThrow(ValueError);
    expect(() => new GRU({ units: 2, dropout: 1.5 })).toThrow(/dropout must be a number in \[0, 1\); got 1.5/);
    expect(() => new SimpleRNN({ units: 2, stateful: true }).apply(rand([2, 3, 4]))).not.toThrow();
    expect(() => new SimpleRNN({ units: 2, stateful: true }).apply(input({ shape: [3, 4] }))).toThrow(
      /is stateful and needs a fixed batch size; give it batchInputShape/,
    );
    expect(() => new GRU({ units: 2 }).resetStates()).toThrow(/not stateful \(stateful: false\)/);
    const lstm = new LSTM({ units: 2, name: 'lstm_bad' });
    expect(() => lstm.apply(rand([2, 3]))).toThrow(ShapeError);
    expect(() => lstm.apply(rand([2, 3]))).toThrow(/LSTM "lstm_bad" expects input of shape \[batch, time, features\]/);
    expect(() => lstm.apply([rand([2, 3, 4]), rand([2, 2])])).toThrow(
      /takes 2 initial state tensor\(s\) after the input; got 1/,
    );
    expect(() => lstm.apply([rand([2, 3, 4]), rand([2, 3]), rand([2, 2])])).toThrow(
      /each initial state must have shape \[batch, 2\] = \[2,2\]; got \[2,3\]/,
    );
    lstm.apply(rand([2, 3, 4]));
    expect(() => lstm.apply(rand([2, 3, 5]))).toThrow(/was built for 4 input features/);
    expect(() => lstm.apply(rand([2, 0, 4]))).toThrow(/sequence of length 0/);
    expect(() => new Bidirectional({ layer: new Dense({ units: 2 }) })).toThrow(
      /Bidirectional wraps a SimpleRNN, LSTM or GRU; got Dense/,
    );
    expect(() => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: 'max' as never })).toThrow(
      /mergeMode must be 'concat', 'sum', 'mul', 'ave' or null; got "max"/,
    );
    expect(() => new TimeDistributed({ layer: 3 as never })).toThrow(
      /layer must be a Layer or \{ className, config \}/,
    );
  });
});
