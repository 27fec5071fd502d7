/**
 * The `movie-recommender` command line: download, train, evaluate, recommend, similar, serve.
 * `main(argv, io)` runs one command and resolves to the exit code (tests call it directly).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { PlasticityError } from '@plasticity/core';
import { fileIO, renderProgress } from '@plasticity/core/node';
import { DownloadError } from '@plasticity/datasets';
import { loadRecommender, type Recommender } from '@plasticity/recommenders';
import { DEFAULT_COMPARISON, createAlgorithm, listAlgorithms } from './algorithms.js';
import { findMovie, generateDataset, loadDataset, type MovieDataset } from './data.js';
import { downloadMovieLens, ML_LATEST_SMALL_URL } from './download.js';
import { compareAlgorithms, formatTable } from './evaluate.js';
import { addDbCommands, dbTarget, serveDb, trainInDb } from './db/commands.js';
import { createServer } from './server.js';
import { AppError, MovieService, parseK, type MovieResult } from './service.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Called by `serve` once listening (tests use it to stop the server). */
  onListening?: (url: string, close: () => Promise<void>) => void;
}

interface GlobalOptions {
  data?: string;
  db?: string;
  cache: string;
  seed: string;
}

/** The default cache folder: `$MOVIE_RECOMMENDER_CACHE` or `~/.cache/plasticity/movie-recommender`. */
export function defaultCacheDir(): string {
  return process.env.MOVIE_RECOMMENDER_CACHE ?? join(homedir(), '.cache', 'plasticity', 'movie-recommender');
}

/** The built page next to the compiled CLI (`dist/web`, from `vite build web`). */
export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web');

/** Parses a `MD5SUMS` file (`<md5>  <name>` per line). */
export function parseMd5Sums(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{32})\s+\*?(.+)$/.exec(line.trim());
    if (m) out[m[2]!] = m[1]!.toLowerCase();
  }
  return out;
}

function int(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new AppError(400, `${name} must be a positive integer, got "${value}".`);
  return Number(value);
}

/**
 * The dataset: `--data DIR` when given (must exist), else the downloaded ml-latest-small in the
 * cache, else a generated one (with a notice on stderr).
 */
export async function resolveDataset(options: GlobalOptions, io: CliIO): Promise<MovieDataset> {
  if (options.data !== undefined) return loadDataset(options.data);
  const cached = join(options.cache, 'ml-latest-small');
  if (existsSync(join(cached, 'ratings.csv'))) return loadDataset(cached);
  io.stderr.write(
    `No MovieLens data (no --data, nothing in ${cached}): using a generated dataset. ` +
      'Run `movie-recommender download` or pass --data DIR.\n',
  );
  return generateDataset({ seed: int(options.seed, '--seed') });
}

function knownAlgorithm(name: string): void {
  const known = listAlgorithms();
  if (!known.includes(name)) throw new AppError(1, `unknown algorithm "${name}"; use one of: ${known.join(', ')}.`);
}

function printList(io: CliIO, heading: string, list: readonly MovieResult[]): void {
  io.stdout.write(`${heading}\n`);
  list.forEach((m, n) => {
    io.stdout.write(`${String(n + 1).padStart(3)}. ${m.title} [${m.genres.join(', ')}] (${m.score.toFixed(3)})\n`);
  });
}

async function modelFor(
  dataset: MovieDataset,
  opts: { algo: string; model?: string },
  io: CliIO,
  check: (service: MovieService) => void,
): Promise<{ service: MovieService; algo: string }> {
  check(new MovieService(dataset));
  if (opts.model !== undefined) {
    const model = await loadRecommender(fileIO(opts.model));
    const algo = (model.constructor as typeof Recommender).className;
    return { service: new MovieService(dataset, { defaultAlgorithm: algo, models: { [algo]: model } }), algo };
  }
  const service = new MovieService(dataset, { defaultAlgorithm: opts.algo });
  const algo = service.algorithm(opts.algo);
  io.stderr.write(`fitting ${algo} on ${dataset.interactions.size} ratings…\n`);
  return { service, algo };
}

function buildProgram(io: CliIO): Command {
  const program = new Command('movie-recommender')
    .description('Movie recommendations on MovieLens with @plasticity/recommenders.')
    .option('--data <dir>', 'a MovieLens folder (ml-100k, ml-1m, ml-latest-small, …)')
    .option('--cache <dir>', 'download and model cache folder', defaultCacheDir())
    .option('--seed <n>', 'seed of the generated dataset (when there is no MovieLens data)', '1')
    .option(
      '--db <dir|url>',
      'database: a PGlite folder or postgres://… (default $DATABASE_URL); train and serve use it unless --data is given',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const globals = () => program.opts<GlobalOptions>();

  program
    .command('download')
    .description('download MovieLens ml-latest-small (MD5-checked) into the cache')
    .option('--url <url>', 'zip to download', ML_LATEST_SMALL_URL)
    .option('--md5sums <file>', 'an MD5SUMS file listing the expected files (default: ml-latest-small)')
    .action(async (opts: { url: string; md5sums?: string }) => {
      const files = opts.md5sums === undefined ? undefined : parseMd5Sums(await readFile(opts.md5sums, 'utf8'));
      try {
        const result = await downloadMovieLens({
          cacheDir: globals().cache,
          url: opts.url,
          ...(files ? { files } : {}),
        });
        io.stdout.write(`${result.cached ? 'Already downloaded' : 'Downloaded and verified'}: ${result.dir}\n`);
      } catch (error) {
        if (error instanceof DownloadError && error.status === undefined) {
          throw new AppError(
            1,
            `Could not download ${opts.url}: ${error.message}\n` +
              'Offline: the other commands fall back to a generated dataset until the download succeeds (or pass --data DIR).',
          );
        }
        throw error;
      }
    });

  program
    .command('train')
    .description('fit an algorithm on the whole dataset and save it')
    .requiredOption('--algo <name>', `algorithm (${listAlgorithms().join(', ')})`)
    .option('--out <dir>', 'where to save the model (default <cache>/models/<algo>)')
    .option('--force', 'on the database: mark it current even if its metrics are worse')
    .option('--test-size <fraction>', 'on the database: held-out share for the metrics', '0.2')
    .action(async (opts: { algo: string; out?: string; force?: boolean; testSize: string }) => {
      const target = dbTarget(globals());
      if (target !== undefined && globals().data === undefined && opts.out === undefined) {
        knownAlgorithm(opts.algo);
        return trainInDb(target, opts.algo, { force: opts.force === true, testSize: Number(opts.testSize) }, io);
      }
      const dataset = await resolveDataset(globals(), io);
      const model = createAlgorithm(opts.algo);
      const progress = renderProgress({ stream: io.stderr });
      const start = performance.now();
      await model.fit(dataset.interactions, { onProgress: progress });
      progress.stop();
      const out = opts.out ?? join(globals().cache, 'models', opts.algo);
      await model.save(fileIO(out));
      io.stdout.write(
        `Trained ${opts.algo} on ${dataset.interactions.size} ratings from ${dataset.source} in ` +
          `${((performance.now() - start) / 1000).toFixed(2)} s; saved to ${out}\n`,
      );
    });

  program
    .command('evaluate')
    .description('compare algorithms on one train/test split: RMSE, MAE, precision@10, fit time')
    .option('--algos <names>', 'comma-separated algorithms (default: a representative set)')
    .option('--max-users <n>', 'use only the first n users (quicker)')
    .option('--test-size <fraction>', 'held-out share of the ratings', '0.2')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { algos?: string; maxUsers?: string; testSize: string; json?: boolean }) => {
      const dataset = await resolveDataset(globals(), io);
      const known = listAlgorithms();
      const algos = opts.algos?.split(',').map((a) => a.trim()) ?? DEFAULT_COMPARISON.filter((a) => known.includes(a));
      for (const a of algos)
        if (!known.includes(a)) throw new AppError(1, `unknown algorithm "${a}"; use one of: ${known.join(', ')}.`);
      const progress = renderProgress({ stream: io.stderr });
      progress({ type: 'begin', label: 'evaluate', epochs: algos.length });
      const scores = await compareAlgorithms(dataset.interactions, algos, {
        testSize: Number(opts.testSize),
        ...(opts.maxUsers === undefined ? {} : { maxUsers: int(opts.maxUsers, '--max-users') }),
        onResult: (s, done, total) =>
          progress({ type: 'epoch', epoch: done - 1, epochs: total, metrics: { fitTime: s.fitTime } }),
      });
      progress({ type: 'end' });
      progress.stop();
      io.stdout.write(opts.json ? `${JSON.stringify(scores, null, 2)}\n` : `${formatTable(scores)}\n`);
    });

  program
    .command('recommend')
    .description("a user's top-k movies (titles and genres)")
    .requiredOption('--user <id>', 'user id')
    .option('-k, --k <n>', 'how many', '10')
    .option('--algo <name>', 'algorithm to fit when no --model is given', 'SVD')
    .option('--model <dir>', 'a model saved by `train`')
    .action(async (opts: { user: string; k: string; algo: string; model?: string }) => {
      const k = parseK(opts.k);
      const dataset = await resolveDataset(globals(), io);
      const { service, algo } = await modelFor(dataset, opts, io, (s) => s.user(opts.user));
      printList(io, `Top ${k} for user ${opts.user} (${algo}):`, await service.recommend(opts.user, k, algo));
    });

  program
    .command('similar')
    .description('movies similar to one (by id or title)')
    .requiredOption('--item <id|title>', 'movie id or (part of a) title')
    .option('-k, --k <n>', 'how many', '10')
    .option('--algo <name>', 'algorithm to fit when no --model is given', 'SVD')
    .option('--model <dir>', 'a model saved by `train`')
    .action(async (opts: { item: string; k: string; algo: string; model?: string }) => {
      const k = parseK(opts.k);
      const dataset = await resolveDataset(globals(), io);
      const movie = findMovie(dataset, opts.item);
      const { service, algo } = await modelFor(dataset, opts, io, (s) => s.item(movie.id));
      printList(io, `Like ${movie.title} (${algo}):`, await service.similar(movie.id, k, algo));
    });

  program
    .command('serve')
    .description('HTTP API and web page')
    .option('--port <n>', 'port (0: any free port)', '3000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--algo <name>', 'default algorithm', 'SVD')
    .option('--max-users <n>', 'users used for the comparison chart', '200')
    .option('--replicas <n>', 'on PostgreSQL: worker processes sharing the port (node:cluster)', '1')
    .action(async (opts: { port: string; host: string; algo: string; maxUsers: string; replicas: string }) => {
      const target = dbTarget(globals());
      if (target !== undefined && globals().data === undefined) {
        const serviceOptions = {
          defaultAlgorithm: opts.algo,
          compare: DEFAULT_COMPARISON,
          compareOptions: { maxUsers: int(opts.maxUsers, '--max-users') },
        };
        knownAlgorithm(opts.algo);
        return serveDb(
          {
            target,
            port: int(opts.port, '--port'),
            host: opts.host,
            replicas: int(opts.replicas, '--replicas'),
            service: serviceOptions,
            server: { webRoot: WEB_ROOT },
            seed: () => resolveDataset(globals(), io),
          },
          io,
        );
      }
      const dataset = await resolveDataset(globals(), io);
      const service = new MovieService(dataset, {
        defaultAlgorithm: opts.algo,
        compare: DEFAULT_COMPARISON,
        compareOptions: { maxUsers: int(opts.maxUsers, '--max-users') },
      });
      service.algorithm(opts.algo);
      const app = await createServer(service, { webRoot: WEB_ROOT });
      const url = await app.listen({ port: int(opts.port, '--port'), host: opts.host });
      io.stdout.write(`Serving ${dataset.source} on ${url}\n`);
      io.onListening?.(url, () => app.close());
    });

  addDbCommands(program, io, globals);
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors are printed as one line, never a stack. */
export async function main(
  argv: readonly string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof AppError || error instanceof PlasticityError) {
      io.stderr.write(`Error: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
