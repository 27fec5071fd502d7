import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, createWebGPUBackend, noNodeAdapterReason, type DawnModule } from './index.js';

function fakeDawn(adapter: object | null): DawnModule {
  return { create: () => ({ requestAdapter: async () => adapter }), globals: {} };
}

describe('webgpu backend plugin: feature detection', () => {
  it('says to install webgpu when the package is missing in Node', async () => {
    const missing = Object.assign(new Error("Cannot find package 'webgpu' imported from /app/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const plugin = createWebGPUBackend({ isNode: true, loadDawn: () => Promise.reject(missing) });
    const support = await plugin.isSupported();
    expect(support.supported).toBe(false);
    expect(support.reason).toMatch(/optional peer dependency `webgpu`.*not installed: npm install webgpu$/);
  });

  it('reports a load failure of the binding with its error', async () => {
    const plugin = createWebGPUBackend({
      isNode: true,
      loadDawn: () => Promise.reject(new Error('dawn.node: invalid ELF header')),
    });
    expect((await plugin.isSupported()).reason).toBe(
      'the `webgpu` package (Dawn for Node) failed to load: dawn.node: invalid ELF header',
    );
  });

  it('points at the Vulkan loader and the SwiftShader ICD when Dawn finds no adapter', async () => {
    const plugin = createWebGPUBackend({ isNode: true, loadDawn: async () => fakeDawn(null) });
    const support = await plugin.isSupported();
    expect(support.supported).toBe(false);
    expect(support.reason).toContain('apt-get install -y libvulkan1');
    expect(support.reason).toContain(`VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
    expect(noNodeAdapterReason({ VK_ICD_FILENAMES: '/nope.json' })).toMatch(
      /VK_ICD_FILENAMES is set to \/nope\.json\)$/,
    );
  });

  it('is supported when Dawn returns an adapter', async () => {
    const plugin = createWebGPUBackend({ isNode: true, loadDawn: async () => fakeDawn({}) });
    expect(await plugin.isSupported()).toEqual({ supported: true });
  });

  it('outside Node, needs navigator.gpu', async () => {
    const plugin = createWebGPUBackend({ isNode: false });
    const support = await plugin.isSupported();
    expect(support.supported).toBe(false);
    expect(support.reason).toMatch(/navigator\.gpu is undefined/);
  });

  it('has the documented name and priority', () => {
    const plugin = createWebGPUBackend();
    expect([plugin.name, plugin.priority]).toEqual(['webgpu', 40]);
  });
});
