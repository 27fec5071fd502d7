import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from './data.js';
import { openDb, type Db } from './db/client.js';
import { storeRoutes } from './db/routes.js';
import { listModels, loadCurrentModel, noWorse, registerModel, trainFromDb } from './registry.js';
import { createServer } from './server.js';
import { StoredMovieService } from './store-service.js';

const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'ml-tiny');
const DATA_DIR = mkdtempSync(join(tmpdir(), 'mr-pglite-'));
const ALGO = 'BaselineOnly';

type Item = { id: number; title: string; score: number };
let db: Db;
let service: StoredMovieService;
let app: FastifyInstance;
let origin: string;
const swaps: number[] = [];

async function start(): Promise<void> {
  db = await openDb(DATA_DIR);
  service = await StoredMovieService.open(db, {
    defaultAlgorithm: ALGO,
    seed: () => loadDataset(FIXTURE_DIR),
    onSwap: (_algo, id) => swaps.push(id),
  });
  app = await createServer(service, { routes: storeRoutes(service) });
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
}
async function stop(): Promise<void> {
  await app.close();
  await service.close();
  await db.close();
}
async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${origin}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const recs = async (user: number) => (await call('GET', `/api/users/${user}/recommendations?k=5`)).json.items as Item[];

beforeAll(start, 120_000);
afterAll(stop);

describe('StoredMovieService on PGlite', () => {
  let top: Item;
  let afterWrite: Item[];

  it('seeds an empty database and registers a first model at start', async () => {
    const models = await listModels(db, ALGO);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ algorithm: ALGO, version: 1, isCurrent: true });
    expect(models[0]!.metrics.rmse).toBeGreaterThan(0);
    const before = await recs(3);
    expect(before).toHaveLength(5);
    top = before[0]!;
  });

  it('POST /api/users/:id/ratings commits, and the rated movie leaves the recommendations at once', async () => {
    const res = await call('POST', '/api/users/3/ratings?k=5', { ratings: [{ item: top.id, rating: 4.5 }] });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ user: 3, stored: 1 });
    const stored = await db.query<{ rating: number }>(
      'SELECT rating FROM ratings WHERE user_id = 3 AND movie_id = $1',
      [top.id],
    );
    expect(stored.rows).toEqual([{ rating: 4.5 }]);
    afterWrite = await recs(3);
    expect(afterWrite.map((m) => m.id)).not.toContain(top.id);
    expect(res.json.items).toEqual(afterWrite);
  });

  it('re-POST updates the rating (one row)', async () => {
    expect((await call('POST', '/api/users/3/ratings', { item: top.id, rating: 2 })).status).toBe(201);
    const stored = await db.query('SELECT rating FROM ratings WHERE user_id = 3 AND movie_id = $1', [top.id]);
    expect(stored.rows).toEqual([{ rating: 2 }]);
  });

  it('bad ratings are 400 and unknown users 404, nothing stored', async () => {
    expect((await call('POST', '/api/users/3/ratings', { item: top.id, rating: 9 })).status).toBe(400);
    expect((await call('POST', '/api/users/999/ratings', { item: top.id, rating: 3 })).status).toBe(404);
    const stored = await db.query('SELECT rating FROM ratings WHERE user_id = 3 AND movie_id = $1', [top.id]);
    expect(stored.rows).toEqual([{ rating: 2 }]);
  });

  it('after a restart the rating and the changed recommendations are still there', async () => {
    await stop();
    await start();
    const { json } = await call('GET', '/api/users/3/ratings');
    expect(json.ratings as { item: number; rating: number }[]).toContainEqual(
      expect.objectContaining({ item: top.id, rating: 2 }),
    );
    expect((await recs(3)).map((m) => m.id)).toEqual(afterWrite.map((m) => m.id));
    expect(await listModels(db, ALGO)).toHaveLength(1); // no retrain at restart
  }, 120_000);

  it('DELETE removes the rating and the movie can be recommended again', async () => {
    const res = await call('DELETE', `/api/users/3/ratings/${top.id}?k=5`);
    expect(res.status).toBe(200);
    expect((await db.query('SELECT 1 FROM ratings WHERE user_id = 3 AND movie_id = $1', [top.id])).rows).toEqual([]);
    expect((await recs(3)).map((m) => m.id)).toContain(top.id);
    expect((await call('DELETE', `/api/users/3/ratings/${top.id}`)).status).toBe(404);
  });

  it('sign-up (POST /api/rate) stores a new user whose recommendations skip what they rated', async () => {
    const res = await call('POST', '/api/rate', {
      ratings: [
        { item: 1, rating: 5 },
        { item: 2, rating: 1 },
      ],
      k: 5,
    });
    expect(res.status).toBe(200);
    const user = res.json.user as number;
    expect(user).toBe(41); // the fixture has users 1…40
    const { json } = await call('GET', `/api/users/${user}/ratings`);
    expect((json.ratings as { item: number }[]).map((r) => r.item)).toEqual([1, 2]);
    const ids = (await recs(user)).map((m) => m.id);
    expect(ids).toHaveLength(5);
    expect(ids).not.toContain(1);
    expect(ids).not.toContain(2);
  });
});

describe('model registry', () => {
  it('noWorse compares RMSE for rating predictors, else precision@10', () => {
    const m = (rmse: number | null, p: number | null) => ({
      rmse,
      mae: null,
      precisionAt10: p,
      ratings: 1,
      testSize: 0.2,
    });
    expect(noWorse(m(0.9, 0.1), undefined)).toBe(true);
    expect(noWorse(m(0.9, 0.1), m(0.9, 0.5))).toBe(true);
    expect(noWorse(m(0.91, 0.9), m(0.9, 0.1))).toBe(false);
    expect(noWorse(m(null, 0.2), m(null, 0.2))).toBe(true);
    expect(noWorse(m(null, 0.1), m(null, 0.2))).toBe(false);
  });

  it('a forced train registers version 2 and the server hot-swaps on NOTIFY; retraining unchanged data promotes', async () => {
    const held = await service.model(ALGO); // an in-flight request's model
    const swapped = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (swaps.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    // Forced: the writes above changed the data, so its metrics may be a little worse.
    const reg = await trainFromDb(db, ALGO, { force: true });
    expect(reg).toMatchObject({ version: 2, isCurrent: true });
    await swapped;
    expect(swaps).toEqual([reg.id]);
    const now = await service.model(ALGO);
    expect(now).not.toBe(held);
    expect(held.recommend(3, 3)).toHaveLength(3); // the old model still answers what it started
    expect((await recs(5)).length).toBe(5);
    // Same ratings, same seed: the same metrics, which are "no worse", so it is promoted.
    const again = await trainFromDb(db, ALGO);
    expect(again.metrics).toEqual(reg.metrics);
    expect(again).toMatchObject({ version: 3, isCurrent: true });
    expect(again.reason).toMatch(/no worse/);
  }, 120_000);

  it('a worse model is registered but not promoted, unless forced', async () => {
    const current = (await loadCurrentModel(db, ALGO))!;
    const worse = { ...current.metrics, rmse: current.metrics.rmse! + 0.5 };
    const kept = await registerModel(db, ALGO, current.model, worse, current.dataAsOf);
    expect(kept).toMatchObject({ version: 4, isCurrent: false });
    expect(kept.reason).toMatch(/worse/);
    expect((await loadCurrentModel(db, ALGO))!.id).toBe(current.id);
    const forced = await registerModel(db, ALGO, current.model, worse, current.dataAsOf, { force: true });
    expect(forced).toMatchObject({ version: 5, isCurrent: true });
    const rows = await listModels(db, ALGO);
    expect(rows.filter((r) => r.isCurrent).map((r) => r.id)).toEqual([forced.id]);
  }, 60_000);
});
