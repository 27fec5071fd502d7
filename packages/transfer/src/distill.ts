/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015): a student learns from a teacher's softened
 * output distribution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, createRng, describeValue } from '@plasticity/core';
import { computeGradients, type Model } from '@plasticity/layers';
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

/** Options of {@link distill}. */
export interface DistillOptions extends DistillationLossOptions {
  /** Trains the student's trainable weights. */
  optimizer: Optimizer;
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** Samples per step. Default 32. */
  batchSize?: number;
  /** Hard labels for the α term (class indices or one-hot). */
  labels?: tf.Tensor;
  /** Whether the teacher's output is logits (default) or softmax probabilities. */
  teacherOutput?: 'logits' | 'probabilities';
  /** Whether the student's output is logits (default) or softmax probabilities. */
  studentOutput?: 'logits' | 'probabilities';
  /** Shuffling seed (default 0). */
  seed?: number;
}

/**
 * Trains `student` to imitate `teacher` on inputs `x` (no labels needed). The teacher runs once,
 * in inference mode, before training; its outputs are reused every epoch. Returns the mean loss of
 * each epoch.
 *
 * @example
 * ```ts
 * const losses = await distill(teacher, student, xUnlabelled, { optimizer: new Adam({ learningRate: 1e-3 }), temperature: 4, epochs: 10 });
 * ```
 */
export async function distill(
  teacher: Model,
  student: Model,
  x: tf.Tensor,
  options: DistillOptions,
): Promise<number[]> {
  checkOptions(options);
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  for (const [field, value] of [
    ['epochs', epochs],
    ['batchSize', batchSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ValueError(`distill: ${field} must be a positive integer; got ${describeValue(value)}.`, {
        field,
        value,
      });
    }
  }
  const variables = student.trainableWeights;
  if (variables.length === 0) {
    throw new ValueError(`distill: student "${student.name}" has no trainable weights (is it frozen?).`, {
      field: 'student',
      value: student.name,
    });
  }
  const n = x.shape[0]!;
  const teacherLogits = tf.tidy(() =>
    toLogits(
      teacher.predict(x, { batchSize: Math.max(batchSize, 256) }) as tf.Tensor,
      options.teacherOutput ?? 'logits',
    ),
  );
  const rng = createRng(options.seed ?? 0);
  const lossOptions = { temperature: options.temperature ?? 4, alpha: options.alpha ?? 0.1 };
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = tf.tensor1d(Int32Array.from(rng.permutation(n)), 'int32');
      let sum = 0;
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        const value = tf.tidy(() => {
          const idx = tf.slice(order, start, size);
          const bx = tf.gather(x, idx);
          const bt = tf.gather(teacherLogits, idx);
          const bl = options.labels === undefined ? undefined : tf.gather(options.labels, idx);
          const { value, grads } = computeGradients(() => {
            const out = student.call(bx, { training: true }) as tf.Tensor;
            const s = toLogits(out, options.studentOutput ?? 'logits');
            return distillationLoss(bt, s, { ...lossOptions, ...(bl === undefined ? {} : { labels: bl }) });
          }, variables);
          options.optimizer.applyGradients(grads);
          return value;
        });
        student.applyConstraints();
        sum += value.dataSync()[0]! * size;
        value.dispose();
      }
      order.dispose();
      losses.push(sum / n);
    }
  } finally {
    teacherLogits.dispose();
  }
  return losses;
}
