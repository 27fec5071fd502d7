import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { detectWebGL, webglBackend } from './index.js';

describe('webgl backend plugin: feature detection', () => {
  it('is unsupported in Node, with the reason and the alternatives', async () => {
    const support = await webglBackend.isSupported();
    expect(support.supported).toBe(false);
    expect(support.reason).toMatch(/^WebGL needs a browser: there is no document or OffscreenCanvas here \(Node\.js;/);
    registerBackendPlugin(webglBackend);
    await expect(useBackend('webgl')).rejects.toThrow(/webgl: WebGL needs a browser/);
  });

  it('prefers WebGL 2, falls back to WebGL 1, and explains a canvas without either', () => {
    const canvas = (kinds: string[]) => ({ getContext: (k: string) => (kinds.includes(k) ? {} : null) });
    expect(detectWebGL(canvas(['webgl2', 'webgl']))).toEqual({ version: 2 });
    expect(detectWebGL(canvas(['webgl']))).toEqual({ version: 1 });
    expect(detectWebGL(canvas([]))).toEqual({ reason: expect.stringMatching(/gave no WebGL context/) });
    expect([webglBackend.name, webglBackend.priority]).toEqual(['webgl', 30]);
  });
});
