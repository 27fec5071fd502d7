import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SVD } from '@plasticity/recommenders';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type MovieDataset } from './data.js';
import { createServer } from './server.js';
import { MovieService } from './service.js';

const APP = join(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

let app: FastifyInstance;
let browser: Browser;
let page: Page;
let origin: string;
let dataset: MovieDataset;
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium`);
  // Build the page from web/ with its own Vite config, into a fresh folder.
  const outDir = mkdtempSync(join(tmpdir(), 'movieapp-page-'));
  await build({
    configFile: join(APP, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  dataset = await loadDataset(join(APP, 'fixtures', 'ml-tiny'));
  const service = new MovieService(dataset, { compare: ['BaselineOnly', 'SVD', 'Popularity'] });
  app = await createServer(service, { webRoot: outDir });
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(origin);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('web page in headless Chromium', () => {
  it('picking a user shows that user’s recommendations with titles', async () => {
    await page.selectOption('[data-testid=user]', '3');
    await page.click('[data-testid=recommend]');
    await page.waitForSelector('[data-testid=user-recs] li');
    const shown = await page.locator('[data-testid=user-recs] li').allTextContents();
    const expected = (await new SVD({ seed: 1 }).fit(dataset.interactions)).recommend(3, 10);
    expect(shown).toEqual(
      expected.map((r) => {
        const m = dataset.movies.get(r.item)!;
        return `${m.title} — ${m.genres.join(', ')}`;
      }),
    );
  });

  it('rating three movies shows recommendations for them', async () => {
    const selects = page.locator('[data-testid=to-rate] select');
    expect(await selects.count()).toBeGreaterThanOrEqual(3);
    const rated: { item: number; rating: number }[] = [];
    for (const [n, rating] of [
      [0, 5],
      [1, 1],
      [2, 4],
    ] as const) {
      await selects.nth(n).selectOption(String(rating));
      rated.push({ item: Number(await selects.nth(n).getAttribute('data-item')), rating });
    }
    await page.click('[data-testid=rate]');
    await page.waitForSelector('[data-testid=rated-recs] li');
    const shown = await page.locator('[data-testid=rated-recs] li').allTextContents();
    const expected = (await new SVD({ seed: 1 }).fit(dataset.interactions)).foldIn(rated).recommend(10);
    expect(shown).toEqual(
      expected.map((r) => `${dataset.movies.get(r.item)!.title} — ${dataset.movies.get(r.item)!.genres.join(', ')}`),
    );
  });

  it('draws the algorithm chart on its canvas', async () => {
    await page.waitForSelector('body[data-chart="ready"]', { timeout: 60_000 });
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=chart]')!;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n / (data.length / 4);
    });
    expect(painted).toBeGreaterThan(0.01);
    expect(errors).toEqual([]);
  });
});
