import * as tf from '@tensorflow/tfjs-core';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { NOT_INSTALLED_REASON, bindingFailureReason, createNodeBackend } from './index.js';

const notFound = Object.assign(
  new Error("Cannot find package '@tensorflow/tfjs-node' imported from /app/node_modules/x/dist/index.js"),
  { code: 'ERR_MODULE_NOT_FOUND' },
);

describe('tfjs-node backend plugin', () => {
  it('says exactly what to install when tfjs-node is missing', async () => {
    const plugin = createNodeBackend({ loadBinding: () => Promise.reject(notFound) });
    expect(await plugin.isSupported()).toEqual({ supported: false, reason: NOT_INSTALLED_REASON });
    expect(NOT_INSTALLED_REASON).toBe(
      '@tensorflow/tfjs-node is not installed: npm install @tensorflow/tfjs-node (its install script downloads ' +
        'libtensorflow; needs network)',
    );
  });

  it('reports a binding that is installed but does not load, with its error', () => {
    const broken = new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x');
    expect(bindingFailureReason(broken)).toMatch(
      /^@tensorflow\/tfjs-node is installed but failed to load: The Node\.js native addon .*npm rebuild @tensorflow\/tfjs-node$/,
    );
    // A missing dependency *of* tfjs-node is a load failure, not "tfjs-node is not installed".
    expect(bindingFailureReason(new Error('Could not resolve "@tensorflow/tfjs-node" imported by "x"'))).toBe(
      NOT_INSTALLED_REASON,
    );
    const dep = Object.assign(new Error("Cannot find package 'adm-zip'"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(bindingFailureReason(dep)).toMatch(/installed but failed to load: Cannot find package 'adm-zip'/);
  });

  it('tries to load the binding once, and is supported when it loads', async () => {
    let calls = 0;
    const plugin = createNodeBackend({
      loadBinding: async () => {
        calls++;
      },
    });
    expect(await plugin.isSupported()).toEqual({ supported: true });
    await plugin.load();
    expect(await plugin.isSupported()).toEqual({ supported: true });
    expect(calls).toBe(1);
  });

  it('makes useBackend skip it with the reason and fall back to the next backend', async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    const plugin = createNodeBackend({ loadBinding: () => Promise.reject(notFound) });
    registerBackendPlugin(plugin);
    await expect(plugin.load()).rejects.toThrow(NOT_INSTALLED_REASON);
    const choice = await useBackend(['tensorflow', 'cpu']);
    expect(choice).toEqual({ backend: 'cpu', skipped: [{ name: 'tensorflow', reason: NOT_INSTALLED_REASON }] });
    expect(tf.getBackend()).toBe('cpu');
    expect([plugin.name, plugin.priority]).toEqual(['tensorflow', 50]);
  });
});
