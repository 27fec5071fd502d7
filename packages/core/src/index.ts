/// <reference types="@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.d.ts" preserve="true" />
/**
 * `@plasticity/core`: the plugin registry, backend contract, seeded randomness, artifact IO,
 * training events and errors that every Plasticity package builds on.
 *
 * Importing it also registers tfjs-core's gradients and chained tensor methods, which the
 * `@tensorflow/tfjs-core` entry alone does not.
 *
 * @packageDocumentation
 */
import './tfjs-side-effects.js';

export {
  ArtifactError,
  BackendUnavailableError,
  DuplicatePluginError,
  PlasticityError,
  ShapeError,
  UnknownPluginError,
  ValueError,
  describeValue,
  type BackendSkip,
  type ErrorCode,
  type PlasticityErrorOptions,
} from './errors.js';
export {
  PLUGIN_KINDS,
  deserializePlugin,
  getPlugin,
  hasPlugin,
  listPlugins,
  registerCallback,
  registerConstraint,
  registerInitializer,
  registerLayer,
  registerLoss,
  registerMetric,
  registerOptimizer,
  registerPlugin,
  registerRecommender,
  registerRegularizer,
  registerSchedule,
  serializePlugin,
  unregisterPlugin,
  type ConfigDict,
  type ConfigValue,
  type KindRegistrar,
  type PluginClass,
  type PluginKind,
  type RegisterOptions,
  type Serializable,
  type SerializableClass,
  type SerializedPlugin,
} from './registry.js';
export { Rng, createRng, deterministicLog, type RngOptions, type RngState } from './rng.js';
export { randomTensor, type RandomTensorOptions } from './random.js';
export {
  getBackendPlugin,
  listBackends,
  registerBackendPlugin,
  unregisterBackendPlugin,
  useBackend,
  type BackendChoice,
  type BackendInfo,
  type BackendPlugin,
  type BackendSpec,
  type BackendSupport,
  type UseBackendOptions,
} from './backend.js';
export {
  ADAM_UPDATE_KERNEL,
  MATRIX_FACTORIZATION_KERNELS,
  MAX_POOL_ARGMAX_GRAD_KERNEL,
  MAX_POOL_ARGMAX_KERNEL,
  type AdamUpdateAttrs,
  type MatrixFactorizationExports,
  type MaxPoolArgmaxAttrs,
} from './fused-kernels.js';
export {
  getArrayKernels,
  registerArrayKernels,
  unregisterArrayKernels,
  type ArrayKernelInstance,
  type ArrayKernelMemory,
  type ArrayKernelModule,
} from './array-kernels.js';
export {
  hasHostKernel,
  registerHostKernel,
  runHostKernel,
  type HostArray,
  type HostDtype,
  type HostKernel,
  type HostMemory,
} from './host-kernels.js';
export {
  ProgressEmitter,
  formatMetrics,
  validateTrainingEvent,
  type BatchEvent,
  type BeginEvent,
  type EndEvent,
  type EpochEvent,
  type Metrics,
  type TrainingEvent,
  type TrainingListener,
} from './events.js';
export {
  ARTIFACT_FORMAT_VERSION,
  artifactsInfo,
  checkWeightData,
  cloneArtifacts,
  concatWeightData,
  deleteMemoryArtifacts,
  memoryIO,
  registerMemoryRouter,
  registerSchemeRouter,
  resolveIOHandler,
  validateModelJson,
  weightByteLength,
  type WeightsManifestGroup,
} from './artifacts.js';
