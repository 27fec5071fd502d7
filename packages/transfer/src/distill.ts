/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): a student learns from a teacher's softened
 * output distribution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, describeValue } from '@plasticity/core';
import {
  Model,
  type Batch,
  type CompileArgs,
  type Dataset,
  type FitOptions,
  type History,
  type StepBatch,
  type StepLogs,
  type TensorData,
} from '@plasticity/layers';
import type { Optimizer } from '@plasticity/optimizers';

/** Options of {@link distillationLoss}. */
export interface DistillationLossOptions {
  /** Softmax temperature T > 0 (default 4). */
  temperature?: number;
  /** Weight of the hard-label cross-entropy; the soft term gets `1 − alpha` (default 0.1). */
  alpha?: number;
}

function checkOptions(options: DistillationLossOptions): { T: number; alpha: number } {
  const T = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.1;
  if (!(T > 0) || !Number.isFinite(T)) {
    throw new ValueError(`distillation: temperature must be a positive number; got ${describeValue(T)}.`, {
      field: 'temperature',
      value: T,
    });
  }
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new ValueError(`distillation: alpha must be in [0, 1]; got ${describeValue(alpha)}.`, {
      field: 'alpha',
      value: alpha,
    });
  }
  return { T, alpha };
}

/**
 * Hinton's distillation loss on logits `[batch, classes]`, averaged over the batch:
 *
 * `(1 − α) · T² · KL(softmax(t/T) ‖ softmax(s/T)) + α · CE(labels, softmax(s))`
 *
 * The T² keeps the soft term's gradients the same size as the hard term's when T changes. KL
 * differs from the soft-target cross-entropy of the paper by the teacher's entropy, a constant:
 * same gradients, and zero when the student matches the teacher. `labels` are class indices
 * `[batch]` or one-hot `[batch, classes]`; without labels the hard term is left out (α is ignored).
 */
export function distillationLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  options: DistillationLossOptions & { labels?: tf.Tensor } = {},
): tf.Scalar {
  const { T, alpha } = checkOptions(options);
  if (teacherLogits.rank !== 2 || !tf.util.arraysEqual(teacherLogits.shape, studentLogits.shape)) {
    throw new ValueError(
      `distillationLoss: teacher and student logits need the same shape [batch, classes]; got [${teacherLogits.shape.join(',')}] and [${studentLogits.shape.join(',')}].`,
      { field: 'logits', value: studentLogits.shape },
    );
  }
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(teacherLogits, T));
    const logQ = tf.logSoftmax(tf.div(studentLogits, T));
    const kl = tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1));
    const soft = tf.mul(kl, T * T);
    const labels = options.labels;
    if (labels === undefined) return soft as tf.Scalar;
    const logProbs = tf.logSoftmax(studentLogits);
    const oneHot = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), studentLogits.shape[1]!) : labels;
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbs), -1)));
    return tf.add(tf.mul(soft, 1 - alpha), tf.mul(ce, alpha)) as tf.Scalar;
  });
}

/** Logits from a model's output: the output itself, or `log p` for probability outputs. */
function toLogits(output: tf.Tensor, kind: 'logits' | 'probabilities'): tf.Tensor {
  // softmax(log p / T) = p^(1/T) / Σ p^(1/T): log-probabilities are valid logits.
  return kind === 'logits' ? output : tf.log(tf.maximum(output, 1e-7));
}

/**
 * What {@link Distiller.compile} takes: the layers `compile` arguments (an `optimizer`; no `loss`,
 * the distiller computes its own) and the distillation settings.
 *
 * Args:
 *   temperature: softmax temperature T > 0 (default 4).
 *   alpha: weight of the hard-label cross-entropy, used when `fit` gets labels (default 0.1).
 *   teacherOutput: whether the teacher's output is `'logits'` (default) or `'probabilities'`.
 *   studentOutput: the same for the student.
 */
export interface DistillerCompileArgs extends CompileArgs, DistillationLossOptions {
  /** Whether the teacher's output is logits (default) or softmax probabilities. */
  teacherOutput?: 'logits' | 'probabilities';
  /** Whether the student's output is logits (default) or softmax probabilities. */
  studentOutput?: 'logits' | 'probabilities';
}

/** The two models of a {@link Distiller}. */
export interface DistillerConfig {
  /** The trained model to imitate (run in inference mode, never updated). */
  teacher: Model;
  /**
   * The model that learns; the distiller is a functional model over the student's own graph, so it shares (and
   * trains) the student's weights, and `predict` is the student's.
   */
  student: Model;
  /** The distiller's model name. Default generated. */
  name?: string;
}

/**
 * Knowledge distillation as a model (Keras's `Distiller`): a functional model over the student's
 * graph whose train step runs the teacher on the batch in inference mode and minimises
 * {@link distillationLoss} of the student against it (with the batch's labels, when `fit` gets
 * any, for the α term). Training is the layers loop: callbacks (EarlyStopping, checkpoints),
 * validation (`val_loss`), progress events, one asynchronous read per step.
 *
 * @example
 * ```ts
 * const distiller = new Distiller({ teacher, student });
 * distiller.compile({ optimizer: new Adam({ learningRate: 1e-3 }), temperature: 4, alpha: 0.1 });
 * const history = await distiller.fit(x, labels, { epochs: 10, validationSplit: 0.1 });
 * history.history.loss; // one mean loss per epoch
 * ```
 */
export class Distiller extends Model {
  /** The model being imitated (`config.teacher`), run in inference mode and never updated. */
  readonly teacher: Model;
  /** The model being trained (`config.student`); the distiller shares its weights. */
  readonly student: Model;
  private settings = { temperature: 4, alpha: 0.1 };
  private teacherOutput: 'logits' | 'probabilities' = 'logits';
  private studentOutput: 'logits' | 'probabilities' = 'logits';

  constructor(config: DistillerConfig) {
    const { teacher, student } = config ?? ({} as DistillerConfig);
    for (const [field, m] of [
      ['teacher', teacher],
      ['student', student],
    ] as const) {
      if (!(m instanceof Model)) {
        throw new ValueError(`Distiller needs a ${field} Model; got ${describeValue(m)}.`, { field, value: m });
      }
    }
    if (student.inputs.length === 0 || student.outputs.length !== 1) {
      throw new ValueError(
        `Distiller: the student "${student.name}" must be built with one output (give a Sequential an inputShape, or call it once); it has ${student.outputs.length} outputs.`,
        { field: 'student', value: student.outputs.length },
      );
    }
    super({
      inputs: student.inputs,
      outputs: student.outputs,
      ...(config.name === undefined ? {} : { name: config.name }),
    });
    this.teacher = teacher;
    this.student = student;
  }

  /** The optimizer and the distillation settings (see {@link DistillerCompileArgs}). */
  override compile(args: DistillerCompileArgs): void {
    const { temperature, alpha, teacherOutput, studentOutput, ...rest } = args;
    const { T, alpha: a } = checkOptions({
      ...(temperature === undefined ? {} : { temperature }),
      ...(alpha === undefined ? {} : { alpha }),
    });
    this.settings = { temperature: T, alpha: a };
    this.teacherOutput = teacherOutput ?? 'logits';
    this.studentOutput = studentOutput ?? 'logits';
    super.compile(rest);
  }

  /** The distillation loss of the student's forward pass against the teacher's on `batch`. */
  private batchLoss(batch: StepBatch, training: boolean): tf.Scalar {
    const x = batch.x.length === 1 ? batch.x[0]! : batch.x;
    const teacherLogits = toLogits(this.teacher.call(x, { training: false }) as tf.Tensor, this.teacherOutput);
    const labels = batch.y[0];
    const loss = (): tf.Scalar =>
      distillationLoss(teacherLogits, toLogits(this.forward(batch.x, training).yPred[0]!, this.studentOutput), {
        ...this.settings,
        ...(labels === undefined ? {} : { labels }),
      });
    return training ? this.minimize(loss) : loss();
  }

  /** One step: the teacher's logits, then a gradient step of the student on the distillation loss. */
  override trainStep(batch: StepBatch): StepLogs {
    return { loss: this.batchLoss(batch, true) };
  }

  /**
   * Saves the student (the distiller is a view of it; the teacher is not saved).
   *
   * Args:
   *   target: a URL (`file://…`, `memory://…`) or an IO handler.
   *   options.includeOptimizer: save the optimizer state (default: when the student is compiled).
   */
  override save(
    target: string | tf.io.IOHandler,
    options: { includeOptimizer?: boolean } = {},
  ): Promise<tf.io.SaveResult> {
    return this.student.save(target, options);
  }

  /** The distillation loss in inference mode (validation, `evaluate`). */
  override testStep(batch: StepBatch): StepLogs {
    return { loss: this.batchLoss(batch, false) };
  }
}

/**
 * Options of {@link distill}: the distillation settings, an optimizer, hard labels, and the layers
 * `fit` options (`epochs`, `batchSize`, `shuffle`, `seed`, `validationSplit`, `callbacks`,
 * `progress`, …).
 */
export interface DistillOptions extends DistillationLossOptions, Omit<FitOptions, 'classWeight' | 'validationData'> {
  /** Trains the student's trainable weights. */
  optimizer: Optimizer;
  /** Hard labels for the α term: class indices `[n]` or one-hot `[n, classes]`. Default none (α term off). */
  labels?: tf.Tensor;
  /** Whether the teacher's output is `'logits'` (default) or softmax `'probabilities'`. */
  teacherOutput?: 'logits' | 'probabilities';
  /** Whether the student's output is `'logits'` (default) or softmax `'probabilities'`. */
  studentOutput?: 'logits' | 'probabilities';
  /** `[x]` or `[x, labels]`, evaluated after each epoch (`val_loss`). */
  validationData?: [tf.Tensor] | [tf.Tensor, tf.Tensor];
}

/**
 * Trains `student` to imitate `teacher` on inputs `x` (no labels needed) with a {@link Distiller}
 * on the layers loop. Returns the `History`: `history.history.loss` holds the mean loss of each
 * epoch (what `distill` returned as `number[]` before).
 *
 * Args:
 *   teacher: the trained model; student: the model to train (its weights change in place).
 *   x: inputs `[n, …]`.
 *   options: see {@link DistillOptions}.
 *
 * @example
 * ```ts
 * const history = await distill(teacher, student, xUnlabelled, { optimizer: new Adam({ learningRate: 1e-3 }), temperature: 4, epochs: 10 });
 * history.history.loss.at(-1);
 * ```
 */
export async function distill(teacher: Model, student: Model, x: tf.Tensor, options: DistillOptions): Promise<History> {
  const { optimizer, labels, temperature, alpha, teacherOutput, studentOutput, validationData, ...fitOptions } =
    options;
  checkOptions(options);
  if (student.trainableWeights.length === 0) {
    throw new ValueError(`distill: student "${student.name}" has no trainable weights (is it frozen?).`, {
      field: 'student',
      value: student.name,
    });
  }
  const distiller = new Distiller({ teacher, student });
  distiller.compile({
    optimizer,
    ...(temperature === undefined ? {} : { temperature }),
    ...(alpha === undefined ? {} : { alpha }),
    ...(teacherOutput === undefined ? {} : { teacherOutput }),
    ...(studentOutput === undefined ? {} : { studentOutput }),
  });
  const validation =
    validationData === undefined
      ? {}
      : validationData.length === 2
        ? { validationData: [validationData[0], validationData[1]] as [TensorData, TensorData] }
        : { validationData: ((): Iterable<Batch> => [{ x: validationData[0] }]) as Dataset };
  return distiller.fit(x, labels, { batchSize: 32, ...fitOptions, ...validation });
}
