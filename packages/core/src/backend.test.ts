import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  listBackends,
  registerBackendPlugin,
  unregisterBackendPlugin,
  useBackend,
  type BackendPlugin,
} from './backend.js';
import { BackendUnavailableError, ValueError } from './errors.js';

// A backend that works: a CPU backend under another name (no kernels needed to switch to it).
function fakePlugin(name: string, priority: number, overrides: Partial<BackendPlugin> = {}): BackendPlugin {
  return {
    name,
    priority,
    isSupported: () => ({ supported: true }),
    async load() {
      if (tf.findBackendFactory(name) == null) tf.registerBackend(name, () => new MathBackendCPU(), 0);
    },
    ...overrides,
  };
}

const created: string[] = [];
function plugin(name: string, priority: number, overrides: Partial<BackendPlugin> = {}): BackendPlugin {
  const p = fakePlugin(name, priority, overrides);
  registerBackendPlugin(p);
  created.push(name);
  return p;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(async () => {
  for (const name of created.splice(0)) {
    unregisterBackendPlugin(name);
    if (tf.getBackend() === name) await tf.setBackend('cpu');
    if (tf.findBackendFactory(name) != null) tf.removeBackend(name);
  }
  await tf.setBackend('cpu');
});

describe('useBackend', () => {
  it("'auto' picks the highest-priority supported plugin and reports each skipped one", async () => {
    plugin('fake-low', 101);
    plugin('fake-high', 103, { isSupported: () => ({ supported: false, reason: 'needs a GPU; none found' }) });
    plugin('fake-mid', 102);
    const choice = await useBackend('auto');
    expect(choice.backend).toBe('fake-mid');
    expect(tf.getBackend()).toBe('fake-mid');
    expect(choice.skipped).toEqual([{ name: 'fake-high', reason: 'needs a GPU; none found' }]);
  });

  it('tries a list in the given order, not by priority', async () => {
    plugin('fake-a', 1);
    plugin('fake-b', 200);
    const choice = await useBackend(['fake-a', 'fake-b']);
    expect(choice).toEqual({ backend: 'fake-a', skipped: [] });
  });

  it('reports the initialization error tfjs swallows, and never falls back silently', async () => {
    plugin('fake-broken', 150, {
      async load() {
        if (tf.findBackendFactory('fake-broken') == null) {
          tf.registerBackend('fake-broken', () => {
            throw new Error('context lost: no adapter');
          });
        }
      },
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    let error: unknown;
    try {
      await useBackend('fake-broken');
    } catch (e) {
      error = e;
    }
    warn.mockRestore();
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const e = error as BackendUnavailableError;
    expect(e.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(e.skipped).toHaveLength(1);
    expect(e.skipped[0]!.reason).toMatch(
      /tfjs failed to initialize it: context lost: no adapter \(tfjs kept "cpu" active\)/,
    );
    expect(e.message).toMatch(/The active backend is still "cpu"/);
  });

  it('falls through a failing loader to the next candidate and says why', async () => {
    plugin('fake-noload', 120, {
      async load() {
        throw new Error('Cannot find module "@tensorflow/tfjs-node"');
      },
    });
    plugin('fake-ok', 110);
    const choice = await useBackend('auto');
    expect(choice.backend).toBe('fake-ok');
    expect(choice.skipped).toEqual([
      { name: 'fake-noload', reason: 'loading failed: Cannot find module "@tensorflow/tfjs-node"' },
    ]);
  });

  it('explains how to install a backend nobody registered', async () => {
    await expect(useBackend('webgpu-nonexistent')).rejects.toThrow(
      /no backend plugin named "webgpu-nonexistent" is registered: install @plasticity\/backend-webgpu-nonexistent and import '@plasticity\/backend-webgpu-nonexistent\/register'/,
    );
  });

  it('accepts a backend that tfjs knows without a plugin', async () => {
    expect(await useBackend('cpu')).toEqual({ backend: 'cpu', skipped: [] });
  });

  it('passes per-backend options to load', async () => {
    const load = vi.fn(async () => {
      if (tf.findBackendFactory('fake-opts') == null) tf.registerBackend('fake-opts', () => new MathBackendCPU(), 0);
    });
    plugin('fake-opts', 1, { load });
    await useBackend('fake-opts', { options: { 'fake-opts': { threads: 2 } } });
    expect(load).toHaveBeenCalledWith({ threads: 2 });
  });

  it('rejects malformed specs and plugins', async () => {
    await expect(useBackend([])).rejects.toThrow(ValueError);
    expect(() => registerBackendPlugin({ name: '', priority: 1 } as never)).toThrow(ValueError);
    expect(() => registerBackendPlugin({ ...fakePlugin('x', 1), priority: Number.NaN })).toThrow(/finite priority/);
    plugin('fake-dup', 1);
    expect(() => registerBackendPlugin(fakePlugin('fake-dup', 2))).toThrow(/already registered/);
  });
});

describe('listBackends', () => {
  it('lists plugins and tfjs-only backends by priority without activating anything', async () => {
    plugin('fake-listed', 99);
    const before = tf.getBackend();
    const rows = listBackends();
    expect(tf.getBackend()).toBe(before);
    const listed = rows.find((r) => r.name === 'fake-listed');
    expect(listed).toMatchObject({ plugin: true, priority: 99, registeredWithTfjs: false, active: false });
    const cpu = rows.find((r) => r.name === 'cpu');
    expect(cpu).toMatchObject({ plugin: false, registeredWithTfjs: true, active: true });
    const priorities = rows.map((r) => r.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
  });
});
