/**
 * The conformance suite on WebGPU in Node, through `webgpu` (Dawn) on a real Vulkan driver. These
 * machines have no GPU, so the driver is Chromium's SwiftShader (software Vulkan); without it (or
 * without the Vulkan loader) every test here fails with the reason, never skips.
 */
import { defineConformanceSuite } from '@plasticity/test-utils/vitest';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SWIFTSHADER_ICD, webgpuBackend } from './index.js';

if (process.env['VK_ICD_FILENAMES'] === undefined && existsSync(SWIFTSHADER_ICD)) {
  process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD; // read by the Vulkan loader when Dawn starts
}

describe('webgpu in Node', () => {
  it('has a Vulkan driver (a GPU, or SwiftShader from Debian chromium)', async () => {
    const icd = process.env['VK_ICD_FILENAMES'];
    expect(
      icd !== undefined && existsSync(icd),
      `no Vulkan driver file: apt-get install -y chromium libvulkan1 (SwiftShader ICD ${SWIFTSHADER_ICD})`,
    ).toBe(true);
    expect(await webgpuBackend.isSupported()).toEqual({ supported: true });
  });
});

const knownGaps = JSON.parse(readFileSync(new URL('../conformance-gaps.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;

defineConformanceSuite({ plugin: webgpuBackend, knownGaps, readback: 'async' });
