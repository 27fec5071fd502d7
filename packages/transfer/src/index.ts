/**
 * `@plasticity/transfer`: transfer learning on `@plasticity/layers` models from any source (built in
 * code, `loadModel`, or imported from TF.js/Keras): freeze/unfreeze by name, pattern or index
 * range, cut a base at any layer and replace its head, feature extraction with a cache, staged
 * fine-tuning with discriminative learning rates, knowledge distillation, LoRA adapters, and
 * embedding transfer between models.
 *
 * @example
 * ```ts
 * import { freeze, replaceHead, fineTune } from '@plasticity/transfer';
 * const model = replaceHead(pretrained, new Dense({ units: 5, activation: 'softmax' }));
 * model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
 * await fineTune(model, x, y, { stages: [{ train: { top: 1 }, epochs: 10 }, { train: 'all', epochs: 5, learningRateScale: 0.1 }] });
 * ```
 *
 * @packageDocumentation
 */
export {
  addHead,
  featureExtractor,
  graphNodes,
  layerOutput,
  leafLayers,
  rebuildModel,
  replaceHead,
  selectLayers,
  type Head,
  type LayerSelector,
} from './graph.js';
export { freeze, freezeReport, trainOnly, unfreeze, type FreezeRow, type UnfreezeOptions } from './freeze.js';
export {
  MemoryFeatureCache,
  extractFeatures,
  featureKey,
  type ExtractFeaturesOptions,
  type ExtractedFeatures,
  type FeatureCache,
} from './features.js';
export {
  discriminativeParamGroups,
  fineTune,
  geometricMultipliers,
  layerBlocks,
  type DiscriminativeOptions,
  type FineTuneOptions,
  type FineTuneStage,
  type StageResult,
} from './finetune.js';
export {
  Distiller,
  distill,
  distillationLoss,
  type DistillOptions,
  type DistillationLossOptions,
  type DistillerCompileArgs,
  type DistillerConfig,
} from './distill.js';
export {
  LoRADense,
  LoRAEmbedding,
  applyLoRA,
  mergeLoRA,
  registerTransferLayers,
  type ApplyLoRAOptions,
  type LoRAConfig,
} from './lora.js';
export {
  transferEmbeddings,
  type EmbeddingMapping,
  type TransferEmbeddingsOptions,
  type TransferEmbeddingsResult,
} from './embeddings.js';
