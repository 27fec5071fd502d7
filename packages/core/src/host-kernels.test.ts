// Host kernels: registered for lending plugins registered before or after the kernel, limited to
// `backends` when given, and refused without a name. The full behaviour on real backends (values,
// int32, heap growth, dtype errors, leaks) is in the conformance suite of the cpu and wasm plugins.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerBackendPlugin, unregisterBackendPlugin, type BackendPlugin } from './backend.js';
import { ValueError } from './errors.js';
import { hasHostKernel, registerHostKernel, type HostMemory } from './host-kernels.js';

const memory: HostMemory = {
  alloc: () => {
    throw new Error('not used');
  },
  view: () => {
    throw new Error('not used');
  },
};

function lender(name: string): BackendPlugin {
  return { name, priority: 0, isSupported: () => ({ supported: true }), load: async () => {}, hostMemory: memory };
}

const noop = { inputs: ['x'], outputs: () => [], run: () => {} };

describe('host kernels', () => {
  it('install on lenders registered before and after the kernel, and only where asked', () => {
    registerBackendPlugin(lender('hk-early'));
    registerHostKernel({ name: 'HkEverywhere', ...noop });
    registerHostKernel({ name: 'HkLateOnly', backends: ['hk-late'], ...noop });
    registerBackendPlugin(lender('hk-late'));
    registerBackendPlugin({
      name: 'hk-nolend',
      priority: 0,
      isSupported: () => ({ supported: true }),
      load: async () => {},
    });
    expect(hasHostKernel('HkEverywhere', 'hk-early')).toBe(true);
    expect(hasHostKernel('HkEverywhere', 'hk-late')).toBe(true);
    expect(hasHostKernel('HkEverywhere', 'hk-nolend')).toBe(false);
    expect(hasHostKernel('HkLateOnly', 'hk-early')).toBe(false);
    expect(hasHostKernel('HkLateOnly', 'hk-late')).toBe(true);
    // Registering again replaces the tfjs kernel instead of tripping tfjs's duplicate warning.
    registerHostKernel({ name: 'HkEverywhere', ...noop });
    expect(hasHostKernel('HkEverywhere', 'hk-early')).toBe(true);
    // A kernel replaced behind our back no longer counts as ours.
    tf.unregisterKernel('HkEverywhere', 'hk-late');
    expect(hasHostKernel('HkEverywhere', 'hk-late')).toBe(false);
    for (const name of ['hk-early', 'hk-late', 'hk-nolend']) unregisterBackendPlugin(name);
    registerHostKernel({ name: 'HkAfterUnregister', ...noop });
    expect(hasHostKernel('HkAfterUnregister', 'hk-early')).toBe(false);
  });

  it('refuses a kernel without a name or run function', () => {
    expect(() => registerHostKernel({ ...noop, name: '' })).toThrow(ValueError);
    expect(() => registerHostKernel({ name: 'HkNoRun', inputs: [], outputs: () => [] } as never)).toThrow(
      /needs a name and a run function/,
    );
  });
});
