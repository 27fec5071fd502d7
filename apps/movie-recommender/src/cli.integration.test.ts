import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import { BaselineOnly, SVD } from '@plasticity/recommenders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { loadDataset } from './data.js';

const APP = join(import.meta.dirname, '..');
const FIXTURE_DIR = join(APP, 'fixtures', 'ml-tiny');

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr });
  return { code, out: stdout.text(), err: stderr.text() };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'movieapp-cli-'));

describe('CLI on the fixture dataset', () => {
  it('train saves a model that recommend loads: the titles of the model’s top k', async () => {
    const out = join(tmp(), 'model');
    const train = await run('--data', FIXTURE_DIR, '--cache', tmp(), 'train', '--algo', 'BaselineOnly', '--out', out);
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/Trained BaselineOnly on \d+ ratings/);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    const rec = await run('--data', FIXTURE_DIR, 'recommend', '--user', '3', '-k', '4', '--model', out);
    expect(rec.code).toBe(0);
    const data = await loadDataset(FIXTURE_DIR);
    const expected = (await new BaselineOnly().fit(data.interactions)).recommend(3, 4);
    const lines = rec.out.trim().split('\n');
    expect(lines[0]).toBe('Top 4 for user 3 (BaselineOnly):');
    expected.forEach((r, n) => {
      const movie = data.movies.get(r.item)!;
      expect(lines[n + 1]).toContain(`${n + 1}. ${movie.title} [${movie.genres.join(', ')}]`);
    });
  });

  it('similar finds the movie by title and lists its neighbours', async () => {
    const data = await loadDataset(FIXTURE_DIR);
    const title = data.movies.get(4)!.title;
    const res = await run('--data', FIXTURE_DIR, 'similar', '--item', title, '-k', '3');
    expect(res.code).toBe(0);
    const expected = (await new SVD({ seed: 1 }).fit(data.interactions)).similarItems(4, 3);
    const lines = res.out.trim().split('\n');
    expect(lines[0]).toBe(`Like ${title} (SVD):`);
    expected.forEach((r, n) => expect(lines[n + 1]).toContain(data.movies.get(r.item)!.title));
  });

  it('evaluate prints a comparison (JSON or table) on a subset of users', async () => {
    const json = await run(
      '--data',
      FIXTURE_DIR,
      'evaluate',
      '--algos',
      'BaselineOnly,Popularity',
      '--max-users',
      '20',
      '--json',
    );
    expect(json.code).toBe(0);
    const scores = JSON.parse(json.out) as { algorithm: string; rmse: number | null }[];
    expect(scores.map((s) => s.algorithm)).toEqual(['BaselineOnly', 'Popularity']);
    expect(scores[0]!.rmse).toBeGreaterThan(0);
    expect(scores[1]!.rmse).toBeNull();
    const table = await run('--data', FIXTURE_DIR, 'evaluate', '--algos', 'BaselineOnly');
    expect(table.out).toMatch(/^algorithm\s+RMSE\s+MAE\s+P@10\s+fit s\nBaselineOnly\s+\d\.\d{4}/);
  });

  it('bad input exits 1 with a one-line message', async () => {
    const user = await run('--data', FIXTURE_DIR, 'recommend', '--user', '999');
    expect(user).toMatchObject({ code: 1, err: expect.stringMatching(/^Error: no user "999"/) });
    const algo = await run('--data', FIXTURE_DIR, 'train', '--algo', 'Nope', '--out', join(tmp(), 'm'));
    expect(algo.code).toBe(1);
    expect(algo.err).toMatch(/Unknown recommender "Nope"/);
    const k = await run('--data', FIXTURE_DIR, 'recommend', '--user', '3', '-k', '0');
    expect(k.err).toMatch(/k must be an integer from 1 to 100/);
    const dir = await run('--data', join(tmp(), 'missing'), 'recommend', '--user', '1');
    expect(dir.code).toBe(1);
    expect(dir.err).toMatch(/missing/);
  });

  it('with no data anywhere, falls back to a generated dataset and says so', async () => {
    const res = await run('--cache', tmp(), 'recommend', '--user', '1', '-k', '3', '--algo', 'BaselineOnly');
    expect(res.code).toBe(0);
    expect(res.err).toMatch(/using a generated dataset/);
    expect(res.out.trim().split('\n')).toHaveLength(4);
  });

  it('serve listens and answers the API until closed', async () => {
    const stdout = sink();
    let url = '';
    let close: () => Promise<void> = async () => {};
    const code = await main(['--data', FIXTURE_DIR, 'serve', '--port', '0', '--algo', 'BaselineOnly'], {
      stdout,
      stderr: sink(),
      onListening: (u, c) => {
        url = u;
        close = c;
      },
    });
    try {
      expect(code).toBe(0);
      expect(stdout.text()).toBe(`Serving ${FIXTURE_DIR} on ${url}\n`);
      const health = (await (await fetch(`${url}/api/health`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ status: 'ok', defaultAlgorithm: 'BaselineOnly', users: 40 });
    } finally {
      await close();
    }
  });

  it('the built CLI runs (dist/main.js)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(APP, 'dist', 'main.js'),
        '--data',
        FIXTURE_DIR,
        'recommend',
        '--user',
        '3',
        '-k',
        '2',
        '--algo',
        'BaselineOnly',
      ],
      { cwd: APP },
    );
    expect(stdout).toMatch(/^Top 2 for user 3 \(BaselineOnly\):\n {2}1\. .+ \[.+\]/);
  });
});

describe('download', () => {
  let server: Server;
  let origin: string;
  let md5sums: string;
  let served = 0;
  const files = ['movies.csv', 'ratings.csv'];

  beforeAll(async () => {
    const entries: Record<string, Uint8Array> = {};
    const lines: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(join(FIXTURE_DIR, f));
      entries[`ml-latest-small/${f}`] = bytes;
      lines.push(`${createHash('md5').update(bytes).digest('hex')}  ${f}`);
    }
    const zip = zipSync(entries);
    md5sums = join(tmp(), 'MD5SUMS');
    writeFileSync(md5sums, `${lines.join('\n')}\n`);
    server = createServer((req, res) => {
      if (req.url === '/ml-latest-small.zip') {
        served++;
        res.writeHead(200, { 'content-type': 'application/zip' }).end(zip);
      } else res.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads, verifies each file, caches, and later commands use it', async () => {
    const cache = tmp();
    const url = `${origin}/ml-latest-small.zip`;
    const first = await run('--cache', cache, 'download', '--url', url, '--md5sums', md5sums);
    expect(first).toMatchObject({ code: 0, out: `Downloaded and verified: ${join(cache, 'ml-latest-small')}\n` });
    for (const f of files) {
      expect(readFileSync(join(cache, 'ml-latest-small', f))).toEqual(readFileSync(join(FIXTURE_DIR, f)));
    }
    const before = served;
    const second = await run('--cache', cache, 'download', '--url', url, '--md5sums', md5sums);
    expect(second.out).toMatch(/^Already downloaded/);
    expect(served).toBe(before);
    const rec = await run('--cache', cache, 'recommend', '--user', '3', '-k', '2', '--algo', 'BaselineOnly');
    expect(rec.code).toBe(0);
    expect(rec.err).not.toMatch(/generated/);
  });

  it('a file with the wrong MD5 fails with the expected and actual digests, and caches nothing', async () => {
    const cache = tmp();
    const bad = join(tmp(), 'MD5SUMS');
    writeFileSync(bad, readFileSync(md5sums, 'utf8').replace(/^[0-9a-f]{32}/, '0'.repeat(32)));
    const res = await run('--cache', cache, 'download', '--url', `${origin}/ml-latest-small.zip`, '--md5sums', bad);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/movies\.csv/);
    expect(res.err).toContain('0'.repeat(32));
    expect(existsSync(join(cache, 'ml-latest-small'))).toBe(false);
  });

  it('an HTTP error names the status', async () => {
    const res = await run('--cache', tmp(), 'download', '--url', `${origin}/missing.zip`, '--md5sums', md5sums);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/HTTP 404/);
  });

  it('offline: a clear message and the fallback to generated data', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cache = tmp();
    const res = await run('--cache', cache, 'download', '--url', `http://127.0.0.1:${port}/ml-latest-small.zip`);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/Could not download http:\/\/127\.0\.0\.1:\d+\/ml-latest-small\.zip/);
    expect(res.err).toMatch(/fall back to a generated dataset/);
    const rec = await run('--cache', cache, 'recommend', '--user', '1', '-k', '2', '--algo', 'BaselineOnly');
    expect(rec.code).toBe(0);
    expect(rec.err).toMatch(/using a generated dataset/);
  });
});
