/**
 * Drives Debian's headless Chromium with playwright-core against the page server: one page per
 * backend, results read from `window.__results`.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { buildPageBundle, servePage, type PageServer } from './page.js';
import type { PageResults } from './protocol.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags: quiet headless Chromium with no network side traffic. WebGPU needs
 * `--enable-unsafe-webgpu` (without it `requestAdapter()` is null here: no GPU, and SwiftShader
 * is not an allowed WebGPU adapter by default); WebGL 2 runs on SwiftShader through ANGLE.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
];

/** The error when Chromium is missing: what to install. */
export function chromiumMissing(path: string = CHROMIUM_PATH): string {
  return (
    `Chromium is not installed at ${path}: apt-get install -y chromium ` +
    '(the browser conformance runs and browser benchmarks need it; .ci/run installs it)'
  );
}

export interface BrowserSession {
  /** Runs the page for one backend and returns what it reported. */
  run(backend: string, query?: Record<string, string>, timeoutMs?: number): Promise<PageResults>;
  close(): Promise<void>;
}

/** Builds the page, serves it and launches Chromium. Throws {@link chromiumMissing} without it. */
export async function openBrowserSession(executablePath: string = CHROMIUM_PATH): Promise<BrowserSession> {
  if (!existsSync(executablePath)) throw new Error(chromiumMissing(executablePath));
  const server: PageServer = await servePage(await buildPageBundle());
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_FLAGS], headless: true });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    async run(backend, query = {}, timeoutMs = 120_000) {
      const page = await browser.newPage();
      const log: string[] = [];
      page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
      try {
        const search = new URLSearchParams({ backend, ...query });
        await page.goto(`${server.origin}/?${search}`);
        const handle = await page.waitForFunction(() => (window as { __results?: unknown }).__results, undefined, {
          timeout: timeoutMs,
          polling: 200,
        });
        const results = (await handle.jsonValue()) as PageResults;
        if (log.length > 0 && results.error !== undefined) results.error += ` (${log.join('; ')})`;
        return results;
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
