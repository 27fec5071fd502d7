/**
 * The built playground in headless Chromium (Debian `chromium`, no GPU: WebGL 2 and WebGPU run on
 * SwiftShader). Vite builds the app into a temporary folder, Vite's preview server serves it on
 * 127.0.0.1, and playwright-core drives the page as a user would: pick a backend, set the epochs,
 * press Train (or Stop), and read what the page shows.
 *
 * Two browsers: one with the WebGPU flag (`--enable-unsafe-webgpu`, without which Chromium offers
 * no adapter here) for the webgpu run, and one without it, where `auto` must skip webgpu and say
 * why. Each backend's final loss is also checked against the same training run in Node on the
 * tfjs CPU backend: the data and the initial weights are seeded, so every backend computes the
 * same function up to float32 rounding.
 */
import { CHROMIUM_FLAGS, CHROMIUM_PATH, chromiumMissing } from '@plasticity/browser-conformance';
import { cpuBackend } from '@plasticity/backend-cpu';
import { registerBackendPlugin, useBackend } from '@plasticity/core';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_OPTIONS, train } from './train.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const WEBGPU_FLAG = '--enable-unsafe-webgpu';

/** A short run on the two-moons data: 4 steps per epoch, 8 epochs. */
const RUN = { samples: 200, batchSize: 50, epochs: 8, learningRate: 0.05 } as const;

/**
 * Binary cross-entropy of a classifier that knows nothing (p = 0.5 everywhere) is ln 2. A model that
 * has learned the task must end below half of that, and below half of its own initial loss.
 */
const CHANCE_LOSS = Math.LN2;

let outDir: string;
let server: PreviewServer;
let origin: string;
let plainBrowser: Browser | undefined;
let webgpuBrowser: Browser | undefined;
let cpuFinalLoss: number;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(chromiumMissing());
  expect(CHROMIUM_FLAGS).toContain(WEBGPU_FLAG);
  outDir = await mkdtemp(join(tmpdir(), 'plasticity-playground-'));
  try {
    await build({
      root: appDir,
      configFile: join(appDir, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, reportCompressedSize: false },
    });
  } catch (error) {
    throw new Error(
      `vite build of the playground failed (it reads the workspace packages' dist: run pnpm build first): ${String(error)}`,
    );
  }
  server = await preview({
    root: appDir,
    configFile: join(appDir, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('the preview server has no port');
  origin = `http://127.0.0.1:${address.port}`;
  const launch = (args: string[]): Promise<Browser> =>
    chromium.launch({ executablePath: CHROMIUM_PATH, args, headless: true });
  plainBrowser = await launch(CHROMIUM_FLAGS.filter((f) => f !== WEBGPU_FLAG));
  webgpuBrowser = await launch([...CHROMIUM_FLAGS]);

  // The reference: the same run in Node on the tfjs CPU backend.
  registerBackendPlugin(cpuBackend);
  await useBackend('cpu');
  cpuFinalLoss = (await train({ ...DEFAULT_TRAIN_OPTIONS, ...RUN, resolution: 0 })).finalLoss;
}, 600_000);

afterAll(async () => {
  await plainBrowser?.close();
  await webgpuBrowser?.close();
  await server?.close();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

/** Opens the page in `browser` and waits until it is ready; page errors fail the test. */
async function openPage(browser: Browser | undefined): Promise<{ page: Page; errors: string[] }> {
  if (browser === undefined) throw new Error('no browser (see the first error)');
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(origin);
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
  return { page, errors };
}

/** Sets the form to {@link RUN} (with `epochs`) and the backend, then presses Train. */
async function startTraining(page: Page, backend: string, epochs: number = RUN.epochs): Promise<void> {
  await page.selectOption('#backend', backend);
  await page.selectOption('#dataset', 'moons');
  await page.fill('#samples', String(RUN.samples));
  await page.fill('#batch-size', String(RUN.batchSize));
  await page.fill('#learning-rate', String(RUN.learningRate));
  await page.fill('#epochs', String(epochs));
  await page.click('#train');
}

const FINISHED = ['done', 'stopped', 'error'].map((s) => `#status[data-state="${s}"]`).join(', ');

interface Shown {
  state: string;
  chosen: string;
  chosenText: string;
  why: string;
  skipped: { backend: string; text: string }[];
  backendError: string;
  trainError: string;
  epoch: number;
  initialLoss: number;
  finalLoss: number;
  chartPoints: number;
  stepMs: string;
}

/** What the page shows once the run has finished. */
async function finished(page: Page, timeout = 120_000): Promise<Shown> {
  await page.waitForSelector(FINISHED, { timeout });
  return page.evaluate(() => {
    const byId = (id: string): HTMLElement => document.getElementById(id)!;
    return {
      state: byId('status').dataset['state']!,
      chosen: byId('chosen').dataset['backend']!,
      chosenText: byId('chosen').textContent!,
      why: byId('why').textContent!,
      skipped: [...document.querySelectorAll<HTMLElement>('#skipped li[data-backend]')].map((li) => ({
        backend: li.dataset['backend']!,
        text: li.textContent!,
      })),
      backendError: byId('backend-error').hidden ? '' : byId('backend-error').textContent!,
      trainError: byId('train-error').hidden ? '' : byId('train-error').textContent!,
      epoch: Number(byId('epoch').dataset['value']),
      initialLoss: Number(byId('initial-loss').dataset['value']),
      finalLoss: Number(byId('final-loss').dataset['value']),
      chartPoints: Number(byId('loss-chart').dataset['points']),
      stepMs: byId('step-ms').textContent!,
    };
  });
}

/** Shares of the boundary canvas tinted towards each class colour (blue = class 0, orange = class 1). */
async function boundaryShares(page: Page): Promise<{ blue: number; orange: number }> {
  return page.evaluate(() => {
    const canvas = document.getElementById('boundary') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let blue = 0;
    let orange = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, , b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (b - r > 40) blue++;
      else if (r - b > 40) orange++;
    }
    const n = data.length / 4;
    return { blue: blue / n, orange: orange / n };
  });
}

/** A finished, successful training run on `backend` as the page shows it. */
async function expectTrained(shown: Shown, backend: string, errors: string[]): Promise<void> {
  expect(errors).toEqual([]);
  expect(shown.trainError).toBe('');
  expect(shown.state).toBe('done');
  expect(shown.chosen).toBe(backend);
  expect(shown.chosenText).toBe(backend);
  expect(shown.epoch).toBe(RUN.epochs);
  expect(shown.chartPoints).toBe(RUN.epochs);
  expect(shown.stepMs).toMatch(/^\d+\.\d ms$/);
  expect(shown.initialLoss).toBeGreaterThan(CHANCE_LOSS * 0.9); // an untrained net is no better than chance
  expect(shown.finalLoss).toBeLessThan(0.5 * shown.initialLoss);
  expect(shown.finalLoss).toBeLessThan(0.5 * CHANCE_LOSS);
  // The same seeded run as on the CPU backend in Node, up to float32 rounding.
  expect(Math.abs(shown.finalLoss - cpuFinalLoss)).toBeLessThan(1e-3 * cpuFinalLoss + 1e-5);
}

/** Checks a run picked by name: the page says so, skipped nothing, trained and drew a boundary. */
async function expectTrainedByName(page: Page, backend: string, errors: string[]): Promise<void> {
  const shown = await finished(page);
  expect(shown.why).toBe(`${backend}: selected by hand.`);
  expect(shown.skipped).toEqual([]);
  await expectTrained(shown, backend, errors);
  const shares = await boundaryShares(page);
  expect(shares.blue).toBeGreaterThan(0.15);
  expect(shares.orange).toBeGreaterThan(0.15);
}

describe('the playground in Chromium with WebGPU enabled', () => {
  it('trains on webgpu when it is picked, and shows it', async () => {
    const { page, errors } = await openPage(webgpuBrowser);
    try {
      await startTraining(page, 'webgpu');
      const shown = await finished(page);
      if (shown.backendError !== '') {
        // This Chromium offers no WebGPU adapter even with the flag: the page must say why.
        expect(shown.state).toBe('error');
        expect(shown.backendError).toMatch(/^webgpu cannot run here: webgpu: .*(navigator\.gpu|adapter)/);
        return;
      }
      await expectTrainedByName(page, 'webgpu', errors);
    } finally {
      await page.close();
    }
  }, 180_000);
});

// One page for the runs below, as a user switching backends in the menu: each backend starts
// once (WebGL compiles its shaders once), and every switch goes through useBackend again.
describe('the playground in Chromium without WebGPU', () => {
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    ({ page, errors } = await openPage(plainBrowser));
  }, 120_000);

  afterAll(async () => {
    await page?.close();
  });

  it('trains on wasm when it is picked, and shows it', async () => {
    await startTraining(page, 'wasm');
    await expectTrainedByName(page, 'wasm', errors);
  }, 180_000);

  it('trains on webgl when it is picked, and shows it', async () => {
    await startTraining(page, 'webgl');
    await expectTrainedByName(page, 'webgl', errors);
  }, 180_000);

  it('auto skips webgpu where Chromium has no adapter, says why, and runs on webgl', async () => {
    await startTraining(page, 'auto', 1);
    const shown = await finished(page);
    expect(errors).toEqual([]);
    expect(shown.state).toBe('done');
    expect(shown.chosen).toBe('webgl');
    expect(shown.skipped).toHaveLength(1);
    expect(shown.skipped[0]!.backend).toBe('webgpu');
    expect(shown.skipped[0]!.text).toMatch(/^webgpu: navigator\.gpu\.requestAdapter\(\) returned null/);
    expect(shown.skipped[0]!.text).toContain(WEBGPU_FLAG);
    expect(shown.why).toBe(
      'webgl: chosen by auto, the highest-priority backend that works here (1 of higher priority skipped: webgpu).',
    );
    // The registered list shows the order auto tried.
    const order = await page.$$eval('#registered li', (items) => items.map((li) => li.getAttribute('data-backend')));
    expect(order).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  }, 180_000);

  it('refuses webgpu by name where there is no adapter, with the reason, instead of falling back', async () => {
    await startTraining(page, 'webgpu', 1);
    const shown = await finished(page);
    expect(errors).toEqual([]);
    expect(shown.state).toBe('error');
    expect(shown.chosen).toBe('');
    expect(shown.backendError).toMatch(
      /^webgpu cannot run here: webgpu: navigator\.gpu\.requestAdapter\(\) returned null: .*--enable-unsafe-webgpu/,
    );
    expect(shown.skipped.map((s) => s.backend)).toEqual(['webgpu']);
    expect(await page.isEnabled('#train')).toBe(true);
  }, 180_000);

  it('Stop ends a long run after the current batch and keeps what was learned', async () => {
    await startTraining(page, 'wasm', 10_000);
    await page.waitForSelector('#status[data-state="training"]');
    await page.waitForFunction(() => Number(document.getElementById('epoch')!.dataset['value']) >= 2, undefined, {
      timeout: 60_000,
    });
    await page.click('#stop');
    const shown = await finished(page);
    expect(errors).toEqual([]);
    expect(shown.state).toBe('stopped');
    expect(shown.chosen).toBe('wasm');
    expect(shown.epoch).toBeGreaterThanOrEqual(2);
    expect(shown.epoch).toBeLessThan(10_000);
    expect(await page.textContent('#status')).toBe(`stopped after ${shown.epoch} epochs`);
    expect(shown.finalLoss).toBeLessThan(shown.initialLoss);
    expect(await page.isEnabled('#train')).toBe(true);
    expect(await page.isDisabled('#stop')).toBe(true);
  }, 180_000);
});
