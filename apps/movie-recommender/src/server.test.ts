import { request as httpRequest } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SVD } from '@plasticity/recommenders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type MovieDataset } from './data.js';
import { createServer } from './server.js';
import { MovieService } from './service.js';

const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'ml-tiny');
let app: FastifyInstance;
let origin: string;
let dataset: MovieDataset;
const SECRET = 'top secret, outside the web root';

/** A raw request: the path goes out byte for byte (fetch would normalise `/../`). */
function raw(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${origin}${path}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dataset = await loadDataset(FIXTURE_DIR);
  const root = mkdtempSync(join(tmpdir(), 'movieapp-web-'));
  mkdirSync(join(root, 'web'));
  writeFileSync(join(root, 'web', 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(root, 'package.json'), SECRET);
  const service = new MovieService(dataset, { compare: ['BaselineOnly', 'Popularity'], compareOptions: { seed: 1 } });
  app = await createServer(service, { webRoot: join(root, 'web'), bodyLimit: 4096 });
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
});

type Item = { id: number; title: string; genres: string[]; score: number };

describe('HTTP API', () => {
  it('GET /api/health reports the dataset', async () => {
    const { status, json } = await get('/api/health');
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'ok', users: 40, movies: 30, ratings: dataset.interactions.size });
  });

  it('GET /api/users/:id/recommendations gives the model’s top k with titles and genres', async () => {
    const { status, json } = await get('/api/users/3/recommendations?k=4&algo=SVD');
    expect(status).toBe(200);
    const items = json.items as Item[];
    // The same model fitted directly (app defaults: seed 1) ranks the same movies.
    const direct = (await new SVD({ seed: 1 }).fit(dataset.interactions)).recommend(3, 4);
    expect(items.map((i) => i.id)).toEqual(direct.map((r) => r.item));
    for (const i of items) {
      expect(i.title).toBe(dataset.movies.get(i.id)!.title);
      expect(i.genres).toEqual(dataset.movies.get(i.id)!.genres);
    }
    const seen = new Set([...dataset.interactions.records()].filter((r) => r.user === 3).map((r) => r.item));
    for (const i of items) expect(seen.has(i.id)).toBe(false);
    expect((await get('/api/users/3/recommendations')).json.items).toHaveLength(10);
  });

  it('GET /api/items/:id/similar lists other movies by similarity', async () => {
    const { status, json } = await get('/api/items/5/similar?k=3');
    expect(status).toBe(200);
    expect(json.item).toMatchObject({ id: 5, title: dataset.movies.get(5)!.title });
    const items = json.items as Item[];
    const direct = (await new SVD({ seed: 1 }).fit(dataset.interactions)).similarItems(5, 3);
    expect(items.map((i) => i.id)).toEqual(direct.map((r) => r.item));
    expect(items.map((i) => i.id)).not.toContain(5);
  });

  it('POST /api/rate folds a new user in and recommends unrated movies', async () => {
    const ratings = [
      { item: 1, rating: 5 },
      { item: 2, rating: 1 },
      { item: 3, rating: 4.5 },
    ];
    const { status, json } = await post('/api/rate', { ratings, k: 5 });
    expect(status).toBe(200);
    const items = json.items as Item[];
    const direct = (await new SVD({ seed: 1 }).fit(dataset.interactions)).foldIn(ratings).recommend(5);
    expect(items.map((i) => i.id)).toEqual(direct.map((r) => r.item));
    expect(items.map((i) => i.id)).not.toContain(1);
    expect(items[0]!.title).toBe(dataset.movies.get(items[0]!.id)!.title);
  });

  it('GET /api/algorithms lists the registry with evaluation figures', async () => {
    const { status, json } = await get('/api/algorithms');
    expect(status).toBe(200);
    const algos = json.algorithms as { name: string; ratingPredictor: boolean; scores?: Record<string, unknown> }[];
    expect(algos.map((a) => a.name)).toEqual(expect.arrayContaining(['SVD', 'Popularity', 'BaselineOnly']));
    const baseline = algos.find((a) => a.name === 'BaselineOnly')!;
    expect(baseline.ratingPredictor).toBe(true);
    expect(baseline.scores).toMatchObject({ rmse: expect.any(Number), mae: expect.any(Number) });
    expect(algos.find((a) => a.name === 'Popularity')!.scores).toMatchObject({ rmse: null });
    expect(algos.find((a) => a.name === 'SVD')!.scores).toBeUndefined();
  });

  it('unknown user or item → 404 with a message', async () => {
    expect(await get('/api/users/9999/recommendations')).toEqual({
      status: 404,
      json: { error: expect.stringMatching(/no user "9999"/) },
    });
    expect(await get('/api/items/9999/similar')).toEqual({
      status: 404,
      json: { error: expect.stringMatching(/no movie "9999"/) },
    });
    const rate = await post('/api/rate', { ratings: [{ item: 9999, rating: 4 }] });
    expect(rate).toEqual({ status: 404, json: { error: expect.stringMatching(/no movie 9999/) } });
    expect((await get('/api/nothing')).status).toBe(404);
  });

  it.each(['0', '-1', '101', 'abc', '2.5'])('k=%s → 400', async (k) => {
    const rec = await get(`/api/users/3/recommendations?k=${k}`);
    expect(rec.status).toBe(400);
    expect(rec.json.error).toMatch(/k must be an integer from 1 to 100/);
    expect((await get(`/api/items/5/similar?k=${k}`)).status).toBe(400);
  });

  it('bad algorithm or rate body → 400 naming the problem', async () => {
    const algo = await get('/api/users/3/recommendations?algo=Nope');
    expect(algo).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/unknown algorithm "Nope"; use one of: .*SVD/) },
    });
    expect((await post('/api/rate', { ratings: [] })).json.error).toMatch(/non-empty array/);
    expect((await post('/api/rate', { ratings: [{ item: 1, rating: 9 }] })).json.error).toMatch(
      /rating is 9; ratings go from 0.5 to 5/,
    );
    expect((await post('/api/rate', { ratings: [{ item: 1 }] })).status).toBe(400);
    expect((await post('/api/rate', '{not json')).status).toBe(400);
    const noFold = await post('/api/rate', { ratings: [{ item: 1, rating: 4 }], algo: 'Popularity' });
    expect(noFold).toEqual({
      status: 400,
      json: { error: expect.stringMatching(/Popularity cannot fold in a new user/) },
    });
  });

  it('a body over the limit → 413', async () => {
    const ratings = Array.from({ length: 400 }, (_, n) => ({ item: (n % 30) + 1, rating: 4 }));
    const res = await raw('POST', '/api/rate', JSON.stringify({ ratings }));
    expect(res.status).toBe(413);
  });

  it('serves the page and never a file outside its folder', async () => {
    const page = await raw('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>page</title>');
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/..%2fpackage.json',
      '/%2e%2e%2fpackage.json',
      '/..%5cpackage.json',
      '/web/../../package.json',
      '/%252e%252e/package.json',
    ]) {
      const res = await raw('GET', path);
      expect(res.body, path).not.toContain(SECRET);
      expect([400, 403, 404], path).toContain(res.status);
    }
  });
});
