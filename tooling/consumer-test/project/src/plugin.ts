// A user's own layer, registered with the same call as the built-ins: y = x · scale, with one
// trainable weight per feature that must survive save/load.
import * as tf from '@tensorflow/tfjs-core';
import { registerLayer, type ConfigDict } from '@plasticity/core';
import { Layer, type Shape } from '@plasticity/layers';

export class Scale extends Layer {
  static override readonly className = 'Consumer>Scale';
  scale: tf.Variable | undefined;

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], { initializer: 'ones' });
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(inputs as tf.Tensor, this.scale!);
  }

  protected override ownConfig(): ConfigDict {
    return {};
  }
}

export function registerPlugins(): void {
  registerLayer(Scale);
}
