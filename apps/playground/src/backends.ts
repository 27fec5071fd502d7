/**
 * Backend choice for the playground: the four browser-capable plugins registered with core, the
 * user's pick handed to `useBackend`, and the outcome explained in words (which backend runs, why,
 * and why every other candidate was skipped).
 */
import {
  BackendUnavailableError,
  registerBackendPlugin,
  useBackend,
  type BackendChoice,
  type BackendSkip,
} from '@plasticity/core';
import { cpuBackend } from '@plasticity/backend-cpu';
import { wasmBackend } from '@plasticity/backend-wasm';
import { webglBackend } from '@plasticity/backend-webgl';
import { webgpuBackend } from '@plasticity/backend-webgpu';

/** What the backend menu offers, `'auto'` first. */
export const BACKEND_OPTIONS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendOption = (typeof BACKEND_OPTIONS)[number];

/** Makes webgpu, webgl, wasm and cpu available to `useBackend` (idempotent). */
export function registerPlaygroundBackends(): void {
  for (const plugin of [webgpuBackend, webglBackend, wasmBackend, cpuBackend]) registerBackendPlugin(plugin);
}

/** The outcome of a backend pick, ready to show. */
export type BackendOutcome =
  | { ok: true; requested: BackendOption; backend: string; skipped: readonly BackendSkip[]; why: string }
  | { ok: false; requested: BackendOption; skipped: readonly BackendSkip[]; message: string };

/** One sentence saying why `choice.backend` runs, given what was asked for. */
export function explainChoice(requested: BackendOption, choice: BackendChoice): string {
  if (requested !== 'auto') return `${choice.backend}: selected by hand.`;
  const count = choice.skipped.length;
  if (count === 0)
    return `${choice.backend}: chosen by auto, the highest-priority registered backend, which works here.`;
  const names = choice.skipped.map((s) => s.name).join(', ');
  return (
    `${choice.backend}: chosen by auto, the highest-priority backend that works here ` +
    `(${count} of higher priority skipped: ${names}).`
  );
}

/**
 * Activates the picked backend. A named backend is used or refused, never swapped for another:
 * when it cannot run here the outcome says why (`message`, `skipped`), and the previous backend
 * stays active.
 */
export async function selectBackend(requested: BackendOption): Promise<BackendOutcome> {
  try {
    const choice = await useBackend(requested);
    return {
      ok: true,
      requested,
      backend: choice.backend,
      skipped: choice.skipped,
      why: explainChoice(requested, choice),
    };
  } catch (error) {
    if (error instanceof BackendUnavailableError) {
      const reasons = error.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      return {
        ok: false,
        requested,
        skipped: error.skipped,
        message: `${requested} cannot run here: ${reasons || error.message}`,
      };
    }
    throw error;
  }
}
