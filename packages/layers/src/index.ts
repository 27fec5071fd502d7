/**
 * `@plasticity/layers`: layers, Sequential and functional models, losses, metrics, `fit` with
 * callbacks, and save/load, written on `@tensorflow/tfjs-core`. The TF.js Layers / Keras
 * `model.json` converter is the `@plasticity/layers/tfjs` entry; Node-only callbacks are
 * `@plasticity/layers/node`.
 *
 * @example
 * ```ts
 * import { Sequential, Dense, registerBuiltinLayers } from '@plasticity/layers';
 * import { Adam } from '@plasticity/optimizers';
 *
 * const model = new Sequential({ layers: [new Dense({ units: 32, activation: 'relu', inputShape: [4] }), new Dense({ units: 1 })] });
 * model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
 * const history = await model.fit(x, y, { epochs: 10, batchSize: 32, validationSplit: 0.2 });
 * ```
 *
 * @packageDocumentation
 */
export { ACTIVATIONS, getActivation, type ActivationFn } from './activations.js';
export {
  Constant,
  GlorotNormal,
  GlorotUniform,
  HeNormal,
  HeUniform,
  INITIALIZER_CLASSES,
  Initializer,
  LecunNormal,
  LecunUniform,
  Ones,
  Orthogonal,
  RandomNormal,
  RandomUniform,
  TruncatedNormal,
  VarianceScaling,
  Zeros,
  computeFans,
  getInitializer,
  registerBuiltinInitializers,
  setInitializerSeed,
  type InitializerIdentifier,
} from './initializers.js';
export {
  Constraint,
  L1,
  L1L2,
  L2,
  MaxNorm,
  MinMaxNorm,
  NonNeg,
  Regularizer,
  UnitNorm,
  getConstraint,
  getRegularizer,
  registerBuiltinRegularizers,
  type ConstraintIdentifier,
  type RegularizerIdentifier,
} from './regularizers.js';
export {
  Layer,
  Node,
  SymbolicTensor,
  type CallArgs,
  type LayerConfig,
  type LayerWeight,
  type Mask,
  type MaskArg,
  type MaskedOutputs,
  type Shape,
} from './layer.js';
export {
  Activation,
  Dense,
  Dropout,
  Embedding,
  Flatten,
  InputLayer,
  Masking,
  Permute,
  RepeatVector,
  Reshape,
  input,
  type DenseConfig,
  type KernelBiasConfig,
  type EmbeddingConfig,
} from './layers/core.js';
export {
  Model,
  Sequential,
  registerBuiltinModels,
  type ComputeLossArgs,
  type ForwardOutputs,
  type ModelConfig,
} from './model.js';
export {
  AveragePooling1D,
  AveragePooling2D,
  Conv1D,
  Conv2D,
  Conv2DTranspose,
  DepthwiseConv2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
  SeparableConv2D,
  UpSampling2D,
  ZeroPadding2D,
  convOutputLength,
  type ConvConfig,
  type PoolConfig,
} from './layers/conv.js';
export { BatchNormalization, LayerNormalization, type BatchNormalizationConfig } from './layers/normalization.js';
export { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract } from './layers/merge.js';
export {
  GRU,
  LSTM,
  RNN,
  SimpleRNN,
  type GRUConfig,
  type LSTMConfig,
  type RecurrentCallArgs,
  type RecurrentConfig,
} from './layers/recurrent.js';
export {
  Bidirectional,
  TimeDistributed,
  type BidirectionalConfig,
  type LayerSpec,
  type MergeMode,
  type TimeDistributedConfig,
} from './layers/wrappers.js';
export { MultiHeadAttention, type AttentionCallArgs, type MultiHeadAttentionConfig } from './layers/attention.js';
export { LAYER_CLASSES, registerBuiltinLayers } from './builtins.js';
export { loadModel, modelFromConfig, modelToArtifacts, saveModel } from './serialization.js';
export { loadWeights, namedWeights, saveWeights, type SaveOptions } from './saving.js';
export {
  findArtifactReader,
  listArtifactReaders,
  registerArtifactReader,
  type ArtifactReader,
} from './artifact-readers.js';
export {
  BinaryCrossentropy,
  BinaryFocalCrossentropy,
  CategoricalCrossentropy,
  CategoricalHinge,
  CosineSimilarity,
  Hinge,
  Huber,
  KLDivergence,
  LOSS_CLASSES,
  LogCosh,
  Loss,
  MeanAbsoluteError,
  MeanAbsolutePercentageError,
  MeanSquaredError,
  MeanSquaredLogarithmicError,
  Poisson,
  SparseCategoricalCrossentropy,
  SquaredHinge,
  getLoss,
  registerBuiltinLosses,
  type LossFn,
  type LossIdentifier,
} from './losses.js';
export {
  AUC,
  BinaryAccuracy,
  CategoricalAccuracy,
  METRIC_CLASSES,
  MeanAbsoluteErrorMetric,
  MeanMetric,
  MeanSquaredErrorMetric,
  Metric,
  Precision,
  R2Score,
  Recall,
  RootMeanSquaredError,
  SparseCategoricalAccuracy,
  SparseTopKCategoricalAccuracy,
  TopKCategoricalAccuracy,
  getMetric,
  registerBuiltinMetrics,
  type MetricIdentifier,
} from './metrics.js';
export {
  Callback,
  CallbackList,
  EarlyStopping,
  History,
  LearningRateScheduler,
  ReduceLROnPlateau,
  TerminateOnNaN,
  registerBuiltinCallbacks,
  type CallbackParams,
  type Logs,
} from './callbacks.js';
export { ModelCheckpoint, formatCheckpointPath, type ModelCheckpointConfig } from './checkpoint.js';
export {
  computeGradients,
  type Batch,
  type CompileArgs,
  type CompiledState,
  type ComputedGradients,
  type Dataset,
  type EvaluateOptions,
  type FitOptions,
  type TensorData,
} from './training.js';
export {
  batchSizeOf,
  evaluateLoop,
  fitLoop,
  type BatchSource,
  type LoopOptions,
  type MetricUpdate,
  type StepBatch,
  type StepLogs,
  type StepValue,
  type TrainingHost,
} from './trainer.js';
