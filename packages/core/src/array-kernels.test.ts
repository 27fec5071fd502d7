// Array kernels: a backend plugin's `arrayKernels` become available on registerBackendPlugin and
// are withdrawn by unregisterBackendPlugin (only its own); direct registration replaces; a module
// without a name or instantiate is refused. The wasm plugin's real module is tested in
// @plasticity/backend-wasm and through SVD/NMF in @plasticity/recommenders.
import { describe, expect, it } from 'vitest';
import {
  getArrayKernels,
  registerArrayKernels,
  unregisterArrayKernels,
  type ArrayKernelModule,
} from './array-kernels.js';
import { registerBackendPlugin, unregisterBackendPlugin, type BackendPlugin } from './backend.js';
import { ValueError } from './errors.js';

interface Doubler {
  double(at: number, n: number): void;
}

/** A JavaScript array-kernel module: doubles `n` float32 values in place. */
function doubler(name: string): ArrayKernelModule<Doubler> {
  return {
    name,
    instantiate: async (bytes) => {
      const memory = { buffer: new ArrayBuffer(bytes) };
      const double = (at: number, n: number): void => {
        const view = new Float32Array(memory.buffer, at, n);
        for (let k = 0; k < n; k++) view[k] = 2 * view[k]!;
      };
      return { exports: { double }, memory };
    },
  };
}

function provider(name: string, modules: ArrayKernelModule[]): BackendPlugin {
  return { name, priority: 0, isSupported: () => ({ supported: true }), load: async () => {}, arrayKernels: modules };
}

describe('array kernels', () => {
  it('come with a backend plugin and leave with it, and run on their own memory', async () => {
    expect(getArrayKernels('AkDouble')).toBeUndefined();
    const module = doubler('AkDouble');
    registerBackendPlugin(provider('ak-backend', [module]));
    expect(getArrayKernels<Doubler>('AkDouble')).toBe(module);
    const instance = (await getArrayKernels<Doubler>('AkDouble')!.instantiate(16))!;
    const values = new Float32Array(instance.memory.buffer, 4, 2);
    values.set([1.5, -3]);
    instance.exports.double(4, 2);
    expect(Array.from(values)).toEqual([3, -6]);
    unregisterBackendPlugin('ak-backend');
    expect(getArrayKernels('AkDouble')).toBeUndefined();
  });

  it('unregistering or replacing a plugin keeps the kernels another one provided or that were registered directly', () => {
    registerBackendPlugin(provider('ak-first', [doubler('AkShared')]));
    const direct = doubler('AkShared');
    registerArrayKernels(direct);
    registerBackendPlugin(provider('ak-other', [doubler('AkOther')]));
    unregisterBackendPlugin('ak-first');
    expect(getArrayKernels('AkShared')).toBe(direct);
    // A plugin that replaces another of the same name replaces its array kernels too.
    registerBackendPlugin(provider('ak-other', [doubler('AkOtherNew')]), { override: true });
    expect(getArrayKernels('AkOther')).toBeUndefined();
    expect(getArrayKernels('AkOtherNew')).toBeDefined();
    unregisterBackendPlugin('ak-other');
    expect(getArrayKernels('AkOtherNew')).toBeUndefined();
    expect(unregisterArrayKernels('AkShared')).toBe(true);
    expect(unregisterArrayKernels('AkShared')).toBe(false);
  });

  it('refuses a module without a name or an instantiate function', () => {
    expect(() => registerArrayKernels({ ...doubler('x'), name: '' })).toThrow(ValueError);
    expect(() => registerArrayKernels({ name: 'AkNoInstantiate' } as never)).toThrow(/instantiate\(bytes\)/);
  });
});
