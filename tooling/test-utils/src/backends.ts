import { registerBackendPlugin, useBackend, type BackendChoice } from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';

/**
 * Registers the cpu and wasm plugins and activates `name` (default: `PLASTICITY_TEST_BACKEND`, else
 * cpu) for a test file.
 */
export async function useTestBackend(
  name: string = process.env['PLASTICITY_TEST_BACKEND'] ?? 'cpu',
): Promise<BackendChoice> {
  registerBackendPlugin(cpuBackend);
  registerBackendPlugin(wasmBackend);
  return useBackend(name);
}
