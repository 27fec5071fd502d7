/**
 * The embedded default at full size and through the CLI: ml-latest-small streamed into PGlite, and
 * the README's quick path (`--db DIR import`, `train`, `serve`) on a PGlite folder, restarted.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { openDb } from './client.js';
import { importMovieLens } from './import.js';
import { migrate } from './migrate.js';

const APP = join(import.meta.dirname, '..', '..');
const FIXTURE_DIR = join(APP, 'fixtures', 'ml-tiny');
// MovieLens ml-latest-small lives beside the repository (`<repo>/../shared/data`), never inside it.
const ML_SMALL =
  process.env.ML_LATEST_SMALL ??
  join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'data', 'ml-latest-small');

function sink() {
  let text = '';
  return Object.assign(
    new Writable({
      write(chunk: Buffer, _enc: string, done: () => void) {
        text += chunk.toString();
        done();
      },
    }),
    { text: () => text },
  );
}

describe('PGlite at full size', () => {
  if (existsSync(join(ML_SMALL, 'ratings.csv'))) {
    it('imports ml-latest-small: 100836 ratings, 610 users, 9742 movies; again: the same', async () => {
      const db = await openDb(mkdtempSync(join(tmpdir(), 'mr-pglite-small-')));
      try {
        await migrate(db);
        expect(await importMovieLens(db, ML_SMALL)).toEqual({ ratings: 100836, users: 610, movies: 9742 });
        expect(await importMovieLens(db, ML_SMALL)).toEqual({ ratings: 100836, users: 610, movies: 9742 });
      } finally {
        await db.close();
      }
    }, 600_000);
  } else {
    it(`UNAVAILABLE HERE: ml-latest-small import into PGlite not run: no ${ML_SMALL}/ratings.csv (set ML_LATEST_SMALL)`, () => {
      expect(existsSync(join(ML_SMALL, 'ratings.csv'))).toBe(false);
    });
  }
});

describe('the CLI on a PGlite folder', () => {
  it('import, train, serve; a rating posted before a restart is still there after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-pglite-cli-'));
    const db = ['--db', join(dir, 'db'), '--cache', dir];
    const out = sink();
    expect(await main([...db, 'import', FIXTURE_DIR], { stdout: out, stderr: sink() })).toBe(0);
    expect(out.text()).toMatch(/into PGlite .*: 487 ratings, 40 users, 30 movies/);
    const train = sink();
    expect(await main([...db, 'train', '--algo', 'BaselineOnly'], { stdout: train, stderr: sink() })).toBe(0);
    expect(train.text()).toMatch(/Registered BaselineOnly v1 .*current \(first model/);

    const serve = async () => {
      let url = '';
      let close: () => Promise<void> = async () => {};
      const stdout = sink();
      const code = await main([...db, 'serve', '--port', '0', '--algo', 'BaselineOnly'], {
        stdout,
        stderr: sink(),
        onListening: (u, c) => {
          url = u;
          close = c;
        },
      });
      expect(code).toBe(0);
      expect(stdout.text()).toBe(`Serving PGlite on ${url}\n`);
      return { url, close };
    };
    const ids = async (url: string) =>
      ((await (await fetch(`${url}/api/users/7/recommendations?k=5`)).json()) as { items: { id: number }[] }).items.map(
        (m) => m.id,
      );
    let s = await serve();
    let after: number[];
    try {
      const before = await ids(s.url);
      const res = await fetch(`${s.url}/api/users/7/ratings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ item: before[0], rating: 1 }),
      });
      expect(res.status).toBe(201);
      after = await ids(s.url);
      expect(after).not.toContain(before[0]);
    } finally {
      await s.close();
    }
    s = await serve();
    try {
      expect(await ids(s.url)).toEqual(after);
    } finally {
      await s.close();
    }
  }, 300_000);
});
