/**
 * The conformance suite in headless Chromium (Debian `chromium`, SwiftShader: no GPU here) on
 * webgl, webgpu and wasm. Each backend's page runs every case once; each case is then one test
 * here, with the backend package's committed known-gap list: a listed test must still fail.
 * Without Chromium every test fails with the install command (never skipped).
 */
import { conformanceTestTitles } from '@plasticity/test-utils/vitest';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowserSession, type BrowserSession, type CaseResult } from './index.js';

const BACKENDS = ['webgl', 'webgpu', 'wasm'] as const;

function knownGaps(backend: string): Record<string, string> {
  const url = new URL(`../../../packages/backend-${backend}/conformance-gaps.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, string>;
}

let session: BrowserSession | undefined;

beforeAll(async () => {
  session = await openBrowserSession();
}, 120_000);

afterAll(async () => {
  await session?.close();
});

for (const backend of BACKENDS) {
  describe(`conformance in Chromium on ${backend}`, () => {
    const gaps = knownGaps(backend);
    const results = new Map<string, CaseResult>();

    beforeAll(async () => {
      if (session === undefined) throw new Error('no browser session (see the first error)');
      const page = await session.run(backend);
      expect(page.error, `the ${backend} page failed`).toBeUndefined();
      expect(page.backend).toBe(backend);
      for (const r of page.cases ?? []) results.set(r.title, r);
    }, 180_000);

    it('ran every conformance case, and the known-gap list names only those', () => {
      const titles = conformanceTestTitles();
      expect([...results.keys()]).toEqual(titles);
      expect(Object.keys(gaps).filter((t) => !titles.includes(t))).toEqual([]);
    });

    for (const title of conformanceTestTitles()) {
      const check = (): void => {
        const r = results.get(title);
        if (r === undefined) throw new Error(`${title}: the page reported no result`);
        if (!r.ok) throw new Error(r.error);
      };
      if (title in gaps) it.fails(`${title} [known gap: ${gaps[title]}]`, check);
      else it(title, check);
    }
  });
}
