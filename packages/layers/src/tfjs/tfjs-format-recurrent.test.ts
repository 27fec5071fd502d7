// TF.js / Keras model.json import and export of the recurrent layers (SimpleRNN, LSTM, GRU,
// Bidirectional, TimeDistributed), checked against @tensorflow/tfjs-layers 4.22 itself, and a
// Keras 2 style GRU (reset_after: true, cell-scoped weight names) against a float64 reference.
import { cpuBackend } from '@plasticity/backend-cpu';
import { createRng, memoryIO, registerBackendPlugin, useBackend, ValueError } from '@plasticity/core';
import { expectTensorsClose } from '@plasticity/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Bidirectional,
  Dense,
  GRU,
  LSTM,
  Model,
  MultiHeadAttention,
  Sequential,
  SimpleRNN,
  TimeDistributed,
  input,
  type SymbolicTensor,
} from '../index.js';
import { exportTfjsModel, importTfjsModel } from './index.js';
import { list, predictBoth, seededWeights, tfjsArtifacts } from '../../test/tfjs-interop.js';

beforeAll(async () => {
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
});

const { rand, randomizeTfjs, randomizeOurs } = seededWeights(101, [-0.8, 0.8]);

describe('importTfjsModel with recurrent layers', () => {
  it('imports SimpleRNN, LSTM and GRU (return_sequences, go_backwards) with the same predictions', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.simpleRNN({ inputShape: [6, 3], units: 4, returnSequences: true, activation: 'relu' }),
        tfl.layers.lstm({ units: 5, returnSequences: true, goBackwards: true }),
        tfl.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }),
        tfl.layers.simpleRNN({ units: 2, returnSequences: true, goBackwards: true }),
        tfl.layers.lstm({ units: 3, recurrentActivation: 'sigmoid', useBias: false }),
      ],
    });
    randomizeTfjs(theirs);
    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    expect(ours.layers.map((l) => l.constructor.name)).toEqual(['SimpleRNN', 'LSTM', 'GRU', 'SimpleRNN', 'LSTM']);
    expect(ours.countParams()).toBe(theirs.countParams());
    const gru = ours.layers[2] as GRU;
    expect(gru.resetAfter).toBe(false);
    expect(gru.recurrentActivation).toBe('sigmoid');
    expect((ours.layers[1] as LSTM).goBackwards).toBe(true);
    const x = rand([3, 6, 3]);
    const start = tf.memory().numTensors;
    predictBoth(ours, theirs, x);
    expect(tf.memory().numTensors).toBe(start);

    const gruBackwards = tfl.sequential({
      layers: [tfl.layers.gru({ inputShape: [5, 2], units: 4, goBackwards: true })],
    });
    randomizeTfjs(gruBackwards);
    predictBoth(await importTfjsModel(await tfjsArtifacts(gruBackwards)), gruBackwards, rand([2, 5, 2]));
  });

  it('imports a functional model with return_state and states passed on as initial states', async () => {
    const x = tfl.input({ shape: [5, 3], name: 'seq' });
    const [encoded, h, c] = tfl.layers
      .lstm({ units: 4, returnSequences: true, returnState: true, name: 'enc' })
      .apply(x) as tfl.SymbolicTensor[];
    const [gruOut, gruState] = tfl.layers
      .gru({ units: 4, returnState: true, goBackwards: true, name: 'gru_state' })
      .apply(x) as tfl.SymbolicTensor[];
    const decoded = tfl.layers
      .lstm({ units: 4, returnSequences: true, name: 'dec' })
      .apply(encoded!, { initialState: [h!, c!] }) as tfl.SymbolicTensor;
    const [rnnOut, rnnState] = tfl.layers
      .simpleRNN({ units: 4, returnState: true, name: 'rnn_state' })
      .apply(decoded) as tfl.SymbolicTensor[];
    const theirs = tfl.model({
      inputs: x,
      outputs: [decoded, h!, c!, gruOut!, gruState!, rnnOut!, rnnState!],
      name: 'stateful_graph',
    });
    randomizeTfjs(theirs);
    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    expect(ours.getLayer('dec').inboundNodes[0]!.inputs.map((t) => t.node!.layer.name)).toEqual(['enc', 'enc', 'enc']);
    predictBoth(ours, theirs, rand([2, 5, 3]));
  });

  it('imports Bidirectional(LSTM) with each merge mode, and Bidirectional(GRU) with return_state', async () => {
    const x = tfl.input({ shape: [4, 3], name: 'bx' });
    const outputs: tfl.SymbolicTensor[] = [];
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave', null] as const) {
      const bi = tfl.layers.bidirectional({
        layer: tfl.layers.lstm({ units: 3, returnSequences: mergeMode !== 'sum' }) as tfl.layers.RNN,
        mergeMode: mergeMode as 'concat',
        name: `bi_${mergeMode}`,
      });
      outputs.push(...list(bi.apply(x) as tfl.SymbolicTensor | tfl.SymbolicTensor[]));
    }
    const withState = tfl.layers.bidirectional({
      layer: tfl.layers.gru({ units: 2, returnState: true }) as tfl.layers.RNN,
      name: 'bi_state',
    });
    outputs.push(...(withState.apply(x) as tfl.SymbolicTensor[]));
    expect(outputs.length).toBe(9); // concat, sum, mul, ave, [forward, backward], [merged, h_f, h_b]
    const theirs = tfl.model({ inputs: x, outputs, name: 'bidirectional_graph' });
    randomizeTfjs(theirs);
    const artifacts = await tfjsArtifacts(theirs);
    const ours = await importTfjsModel(artifacts);
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave', null]) {
      expect((ours.getLayer(`bi_${mergeMode}`) as Bidirectional).mergeMode).toBe(mergeMode);
    }
    expect(ours.countParams()).toBe(theirs.countParams());
    const x0 = rand([3, 4, 3]);
    predictBoth(ours, theirs, x0);

    // The same weights named as Keras 2 on TF2 names them: through the cell (`…/forward_lstm_…/lstm_cell/kernel`).
    const keras2 = {
      ...artifacts,
      weightSpecs: artifacts.weightSpecs!.map((s) => {
        const parts = s.name.split('/');
        const cell = parts[0]!.startsWith('bi_state') ? 'gru_cell' : 'lstm_cell_1';
        return { ...s, name: [...parts.slice(0, -1), cell, parts[parts.length - 1]].join('/') };
      }),
    };
    expect(keras2.weightSpecs[0]!.name).toMatch(/^bi_concat\/forward_lstm_LSTM\d+\/lstm_cell_1\/kernel$/);
    predictBoth(await importTfjsModel(keras2), theirs, x0);
  });

  it('imports a stateful LSTM (batch size from batch_input_shape) whose states carry over between calls', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.lstm({ batchInputShape: [2, 3, 2], units: 3, stateful: true, returnSequences: true }),
        tfl.layers.gru({ units: 2, stateful: true }),
      ],
    });
    randomizeTfjs(theirs);
    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    expect((ours.layers[0] as LSTM).stateful).toBe(true);
    const [x1, x2] = [rand([2, 3, 2]), rand([2, 3, 2])];
    predictBoth(ours, theirs, x1);
    const carried = ours.predict(x2) as tf.Tensor; // from the states x1 left behind
    expectTensorsClose(carried, theirs.predict(x2) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
    for (const layer of ours.layers) (layer as LSTM | GRU).resetStates();
    theirs.resetStates();
    const fresh = ours.predict(x2) as tf.Tensor;
    expectTensorsClose(fresh, theirs.predict(x2) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
    expect(tf.max(tf.abs(tf.sub(carried, fresh))).dataSync()[0]).toBeGreaterThan(1e-3); // the states did carry
  });

  it('imports TimeDistributed(Dense) after an LSTM', async () => {
    const theirs = tfl.sequential({
      layers: [
        tfl.layers.lstm({ inputShape: [5, 2], units: 4, returnSequences: true }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3, activation: 'tanh' }) }),
        tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 2, useBias: false }) }),
      ],
    });
    randomizeTfjs(theirs);
    const ours = await importTfjsModel(await tfjsArtifacts(theirs));
    expect(ours.layers[1]).toBeInstanceOf(TimeDistributed);
    expect((ours.layers[1] as TimeDistributed).layer).toBeInstanceOf(Dense);
    predictBoth(ours, theirs, rand([2, 5, 2]));
  });

  it('imports a Keras 2 GRU with reset_after: true and weights named gru/gru_cell/kernel (float64 reference)', async () => {
    const [T, F, U, B] = [4, 3, 2, 2];
    let keras2Seed = 5000;
    const f32 = (n: number, lo = -0.9, hi = 0.9): number[] => {
      const rng = createRng(keras2Seed++);
      return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rng.uniform()));
    };
    const kernel = f32(F * 3 * U); // [F, 3U], gates z, r, h
    const recurrent = f32(U * 3 * U); // [U, 3U]
    const bias = f32(2 * 3 * U); // [2, 3U]: input bias, recurrent bias
    const xs = f32(B * T * F, -2, 2);
    const gruConfig = {
      name: 'gru',
      trainable: true,
      dtype: 'float32',
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      time_major: false,
      units: U,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1.0, seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: 0.0,
      recurrent_dropout: 0.0,
      implementation: 2,
      reset_after: true,
    };
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [
              {
                class_name: 'InputLayer',
                config: { batch_input_shape: [null, T, F], dtype: 'float32', sparse: false, ragged: false, name: 'x' },
              },
              { class_name: 'GRU', config: gruConfig },
            ],
          },
        },
      },
    };
    const weights = [
      { name: 'gru/gru_cell/kernel', tensor: tf.tensor2d(kernel, [F, 3 * U]) },
      { name: 'gru/gru_cell/recurrent_kernel', tensor: tf.tensor2d(recurrent, [U, 3 * U]) },
      { name: 'gru/gru_cell/bias', tensor: tf.tensor2d(bias, [2, 3 * U]) },
    ];
    const { data, specs } = await tf.io.encodeWeights(weights);
    tf.dispose(weights.map((w) => w.tensor));
    const ours = await importTfjsModel({
      modelTopology: modelJson.modelTopology,
      format: modelJson.format,
      weightSpecs: specs,
      weightData: data,
    });
    expect((ours.layers[0] as GRU).resetAfter).toBe(true);

    // Keras' reset_after GRU in float64: z, r from x·W + b_in + h·U + b_rec; ĥ = tanh(x·W_h + b_in_h + r ⊙ (h·U_h + b_rec_h)).
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      let h = new Array<number>(U).fill(0);
      for (let t = 0; t < T; t++) {
        const x = xs.slice((b * T + t) * F, (b * T + t + 1) * F);
        const xw = Array.from(
          { length: 3 * U },
          (_, j) => bias[j]! + x.reduce((s, v, i) => s + v * kernel[i * 3 * U + j]!, 0),
        );
        const hu = Array.from(
          { length: 3 * U },
          (_, j) => bias[3 * U + j]! + h.reduce((s, v, i) => s + v * recurrent[i * 3 * U + j]!, 0),
        );
        h = h.map((hPrev, u) => {
          const z = sigmoid(xw[u]! + hu[u]!);
          const r = sigmoid(xw[U + u]! + hu[U + u]!);
          const candidate = Math.tanh(xw[2 * U + u]! + r * hu[2 * U + u]!);
          return z * hPrev + (1 - z) * candidate;
        });
        expected.push(...h);
      }
    }
    const x = tf.tensor3d(xs, [B, T, F]);
    const y = ours.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([B, T, U]);
    expectTensorsClose(y, tf.tensor3d(expected, [B, T, U]), { rtol: 1e-5, atol: 1e-5 });
  });

  it('refuses a Keras MultiHeadAttention layer, naming it and saying it is unsupported', async () => {
    const topology = {
      class_name: 'Model',
      config: {
        name: 'attention',
        layers: [
          {
            name: 'q',
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, 4, 8], name: 'q' },
            inbound_nodes: [],
          },
          {
            name: 'self_attention',
            class_name: 'MultiHeadAttention',
            config: { name: 'self_attention', num_heads: 2, key_dim: 4, value_dim: 4, use_bias: true, dropout: 0 },
            inbound_nodes: [[['q', 0, 0, { value: ['q', 0, 0] }]]],
          },
        ],
        input_layers: [['q', 0, 0]],
        output_layers: [['self_attention', 0, 0]],
      },
    };
    const error = await importTfjsModel({
      modelTopology: topology,
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValueError);
    expect((error as Error).message).toContain('Layer "self_attention" (MultiHeadAttention) cannot be imported');
    expect((error as Error).message).toContain('not supported');
  });
});

describe('exportTfjsModel with recurrent layers', () => {
  async function roundTrip(model: Model, x: tf.Tensor, key: string): Promise<void> {
    await exportTfjsModel(model, memoryIO(key));
    const ours = list(model.predict(x));
    // tfjs-layers names its variables <layer>/<weight> as we do, in the same engine: free ours first.
    model.dispose();
    const theirs = await tfl.loadLayersModel(memoryIO(key));
    const expected = list(theirs.predict(x));
    expect(ours.length).toBe(expected.length);
    ours.forEach((t, i) => expectTensorsClose(t, expected[i]!, { rtol: 1e-5, atol: 1e-5, label: `output ${i}` }));
    tf.dispose([...ours, ...expected]);
    predictBoth(await importTfjsModel(memoryIO(key)), theirs, x);
  }

  it('writes SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed that tfjs-layers loads with equal predictions', async () => {
    const model = new Sequential({
      layers: [
        new SimpleRNN({ units: 4, inputShape: [5, 3], returnSequences: true, activation: 'relu' }),
        new LSTM({ units: 3, returnSequences: true, goBackwards: true, recurrentActivation: 'sigmoid' }),
        new Bidirectional({ layer: new GRU({ units: 3, returnSequences: true }), mergeMode: 'ave' }),
        new TimeDistributed({ layer: new Dense({ units: 4, activation: 'tanh' }) }),
        new Bidirectional({ layer: new LSTM({ units: 2, returnSequences: true, seed: 5 }), mergeMode: 'mul' }),
        new GRU({ units: 3, goBackwards: true, seed: 3 }),
      ],
    });
    randomizeOurs(model);
    await roundTrip(model, rand([2, 5, 3]), 'export-recurrent');
  });

  it('writes a functional model with return_state, initial states and every Bidirectional merge mode', async () => {
    const x = input({ shape: [4, 3], name: 'rx' });
    const [seq, h, c] = list(
      new LSTM({ units: 3, returnSequences: true, returnState: true, name: 'r_enc' }).apply([x]),
    );
    const dec = new LSTM({ units: 3, name: 'r_dec' }).apply(seq!, { initialState: [h!, c!] }) as SymbolicTensor;
    const [rnnOut, rnnState] = list(new SimpleRNN({ units: 2, returnState: true, name: 'r_rnn' }).apply([x]));
    const outputs: SymbolicTensor[] = [dec, h!, rnnOut!, rnnState!];
    for (const mergeMode of ['concat', 'sum', 'mul', 'ave', null] as const) {
      const bi = new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode, name: `r_bi_${mergeMode}` });
      outputs.push(...list(bi.apply([x])));
    }
    const model = new Model({ inputs: x, outputs, name: 'r_graph' });
    randomizeOurs(model);
    await roundTrip(model, rand([3, 4, 3]), 'export-recurrent-functional');
  });

  it('refuses a GRU with resetAfter: true and a MultiHeadAttention layer, naming the layer', async () => {
    const gru = new Sequential({
      layers: [new GRU({ units: 2, inputShape: [3, 2], resetAfter: true, name: 'after' })],
    });
    const e1 = await exportTfjsModel(gru, memoryIO('export-reset-after')).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ValueError);
    expect((e1 as Error).message).toContain('Layer "after" (GRU): resetAfter: true cannot be exported');

    const q = input({ shape: [4, 8], name: 'mq' });
    const attended = new MultiHeadAttention({ numHeads: 2, keyDim: 4, name: 'mha' }).apply([q, q]) as SymbolicTensor;
    const e2 = await exportTfjsModel(new Model({ inputs: q, outputs: attended }), memoryIO('export-mha')).catch(
      (e: unknown) => e,
    );
    expect(e2).toBeInstanceOf(ValueError);
    expect((e2 as Error).message).toContain('Layer "mha" (MultiHeadAttention) cannot be exported');
  });
});
