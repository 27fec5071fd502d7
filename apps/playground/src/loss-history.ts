/**
 * The loss chart's data: one point per finished epoch, kept as parallel arrays that the chart
 * reads directly, with a cap on the number of points drawn for long runs.
 */
import { ValueError, describeValue } from '@plasticity/core';

/** One row of the history: the epoch (counting from 1) and its mean training loss. */
export interface LossPoint {
  epoch: number;
  loss: number;
}

/**
 * Per-epoch training losses. `add` takes epochs in increasing order; `chartData(max)` thins a long
 * history to at most `max` points (always keeping the first and the last) so that redrawing the
 * chart stays cheap however long the run.
 */
export class LossHistory {
  private readonly epochs: number[] = [];
  private readonly losses: number[] = [];

  /** Number of epochs recorded. */
  get length(): number {
    return this.epochs.length;
  }

  /** Appends one epoch. Throws if `epoch` does not increase or `loss` is not a finite number. */
  add(epoch: number, loss: number): void {
    const last = this.epochs.at(-1);
    if (!Number.isInteger(epoch) || epoch < 1 || (last !== undefined && epoch <= last)) {
      throw new ValueError(
        `LossHistory.add needs increasing integer epochs >= 1 (last was ${last ?? 'none'}); got ${describeValue(epoch)}.`,
        { field: 'epoch', value: epoch },
      );
    }
    if (!Number.isFinite(loss)) {
      throw new ValueError(
        `The loss of epoch ${epoch} is ${describeValue(loss)}: training diverged. Lower the learning rate and train again.`,
        { field: 'loss', value: loss },
      );
    }
    this.epochs.push(epoch);
    this.losses.push(loss);
  }

  /** Forgets every point. */
  clear(): void {
    this.epochs.length = 0;
    this.losses.length = 0;
  }

  /** The first recorded point, if any. */
  first(): LossPoint | undefined {
    return this.length === 0 ? undefined : { epoch: this.epochs[0]!, loss: this.losses[0]! };
  }

  /** The last recorded point, if any. */
  last(): LossPoint | undefined {
    return this.length === 0 ? undefined : { epoch: this.epochs.at(-1)!, loss: this.losses.at(-1)! };
  }

  /**
   * At most `maxPoints` (≥ 2) points for the chart, evenly spaced over the epochs recorded, the
   * first and last always included.
   */
  chartData(maxPoints = 500): LossPoint[] {
    if (!Number.isInteger(maxPoints) || maxPoints < 2) {
      throw new ValueError(`maxPoints must be an integer >= 2; got ${describeValue(maxPoints)}.`, {
        field: 'maxPoints',
        value: maxPoints,
      });
    }
    const n = this.length;
    const point = (i: number): LossPoint => ({ epoch: this.epochs[i]!, loss: this.losses[i]! });
    if (n <= maxPoints) return this.epochs.map((_, i) => point(i));
    const out: LossPoint[] = [];
    for (let k = 0; k < maxPoints; k++) out.push(point(Math.round((k * (n - 1)) / (maxPoints - 1))));
    return out;
  }
}
