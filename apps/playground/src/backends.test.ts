import * as tf from '@tensorflow/tfjs-core';
import { listBackends, useBackend } from '@plasticity/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { explainChoice, registerPlaygroundBackends, selectBackend } from './backends.js';

beforeAll(async () => {
  registerPlaygroundBackends();
  registerPlaygroundBackends(); // idempotent
  await useBackend('cpu');
});

describe('registerPlaygroundBackends', () => {
  it('registers webgpu, webgl, wasm and cpu, in the order auto tries them', () => {
    const names = listBackends()
      .filter((b) => b.plugin)
      .map((b) => `${b.name}:${b.priority}`);
    expect(names).toEqual(['webgpu:40', 'webgl:30', 'wasm:20', 'cpu:10']);
  });
});

describe('explainChoice', () => {
  it('says a named backend was picked by hand', () => {
    expect(explainChoice('wasm', { backend: 'wasm', skipped: [] })).toBe('wasm: selected by hand.');
  });

  it('says what auto skipped before its choice', () => {
    const skipped = [
      { name: 'webgpu', reason: 'no adapter' },
      { name: 'webgl', reason: 'no context' },
    ];
    expect(explainChoice('auto', { backend: 'wasm', skipped })).toBe(
      'wasm: chosen by auto, the highest-priority backend that works here (2 of higher priority skipped: webgpu, webgl).',
    );
    expect(explainChoice('auto', { backend: 'webgpu', skipped: [] })).toBe(
      'webgpu: chosen by auto, the highest-priority registered backend, which works here.',
    );
  });
});

describe('selectBackend', () => {
  it('activates a backend that works here', async () => {
    const outcome = await selectBackend('cpu');
    expect(outcome).toEqual({ ok: true, requested: 'cpu', backend: 'cpu', skipped: [], why: 'cpu: selected by hand.' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it("refuses a named backend that cannot run here with the plugin's reason, keeping the active one", async () => {
    // Node has no WebGL: the webgl plugin says so, and nothing falls back silently.
    const outcome = await selectBackend('webgl');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.skipped.map((s) => s.name)).toEqual(['webgl']);
    expect(outcome.skipped[0]!.reason).toMatch(/^WebGL needs a browser/);
    expect(outcome.message).toBe(`webgl cannot run here: webgl: ${outcome.skipped[0]!.reason}`);
    expect(tf.getBackend()).toBe('cpu');
  });
});
