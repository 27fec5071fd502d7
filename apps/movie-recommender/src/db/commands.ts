/**
 * The CLI's database side: which database (`--db DIR|URL`, else `$DATABASE_URL`), `import`,
 * `models`, `train` into the registry, and `serve` on the database (one process or `--replicas N`
 * with node:cluster, PostgreSQL only since PGlite lives in one process).
 */
import cluster from 'node:cluster';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { MovieDataset } from '../data.js';
import { listModels, trainFromDb } from '../registry.js';
import { createServer, type ServerOptions } from '../server.js';
import { AppError, type ServiceOptions } from '../service.js';
import { StoredMovieService } from '../store-service.js';
import { openDb, type Db } from './client.js';
import { importMovieLens } from './import.js';
import { migrate } from './migrate.js';
import { storeRoutes } from './routes.js';

export interface DbIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  onListening?: (url: string, close: () => Promise<void>) => void;
}

/** `--db` when given, else `$DATABASE_URL`; undefined when neither. */
export function dbTarget(opts: { db?: string }): string | undefined {
  return opts.db ?? (process.env.DATABASE_URL || undefined);
}

/** The database of commands that always use one: `--db`, `$DATABASE_URL`, else PGlite in `<cache>/db`. */
export function dbTargetOrDefault(opts: { db?: string; cache: string }): string {
  return dbTarget(opts) ?? join(opts.cache, 'db');
}

/** Names the engine without leaking credentials or absolute paths. */
export function describeTarget(target: string): string {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const url = new URL(target);
    return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
  }
  return 'PGlite';
}

async function withDb<T>(target: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(target);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Adds `import` and `models`. */
export function addDbCommands(program: Command, io: DbIO, globals: () => { db?: string; cache: string }): void {
  program
    .command('import')
    .description('stream a MovieLens folder into the database (idempotent; COPY on PostgreSQL)')
    .argument('<movielens-dir>', 'a MovieLens folder (ml-latest-small, ml-1m, ml-25m, …)')
    .action(async (dir: string) => {
      const target = dbTargetOrDefault(globals());
      const start = performance.now();
      const counts = await withDb(target, (db) => importMovieLens(db, dir));
      io.stdout.write(
        `Imported into ${describeTarget(target)} in ${((performance.now() - start) / 1000).toFixed(1)} s: ` +
          `${counts.ratings} ratings, ${counts.users} users, ${counts.movies} movies\n`,
      );
    });

  program
    .command('models')
    .description('the model registry (newest first)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await withDb(dbTargetOrDefault(globals()), (db) => listModels(db));
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const m = r.metrics;
        io.stdout.write(
          `${r.isCurrent ? '*' : ' '} ${String(r.id).padStart(4)} ${r.algorithm} v${r.version}  rmse ${m.rmse?.toFixed(4) ?? '-'}` +
            `  p@10 ${m.precisionAt10?.toFixed(4) ?? '-'}  ${m.ratings} ratings  ${r.createdAt.toISOString()}\n`,
        );
      }
    });
}

/** `train` on the database: fit, evaluate, register, promote when no worse (or forced). */
export async function trainInDb(
  target: string,
  algo: string,
  opts: { force?: boolean; testSize?: number },
  io: DbIO,
): Promise<void> {
  const reg = await withDb(target, (db) =>
    trainFromDb(db, algo, { ...(opts.force ? { force: true } : {}), testSize: opts.testSize ?? 0.2 }),
  );
  const m = reg.metrics;
  io.stdout.write(
    `Registered ${algo} v${reg.version} (model ${reg.id}) from ${m.ratings} ratings: rmse ${m.rmse?.toFixed(4) ?? '-'}, ` +
      `precision@10 ${m.precisionAt10?.toFixed(4) ?? '-'}; ${reg.isCurrent ? 'current' : 'not current'} (${reg.reason})\n`,
  );
}

export interface ServeDbOptions {
  target: string;
  port: number;
  host: string;
  replicas: number;
  service: ServiceOptions;
  server: ServerOptions;
  seed: () => Promise<MovieDataset>;
}

/** `serve` on the database; with `replicas > 1` the primary forks that many workers sharing the port. */
export async function serveDb(o: ServeDbOptions, io: DbIO): Promise<void> {
  if (o.replicas > 1 && cluster.isPrimary) {
    if (!/^postgres(ql)?:\/\//.test(o.target)) {
      throw new AppError(
        1,
        '--replicas needs a PostgreSQL server (DATABASE_URL or --db postgres://…): PGlite lives in one process.',
      );
    }
    // Migrate and seed once, before the workers start.
    await withDb(o.target, async (db) => {
      const service = await StoredMovieService.open(db, { ...o.service, seed: o.seed });
      await service.close();
    });
    const workers = Array.from({ length: o.replicas }, () => cluster.fork());
    const stopAll = () => workers.forEach((w) => w.isDead() || w.kill());
    const urls = await Promise.all(
      workers.map(
        (w) =>
          new Promise<string>((resolve, reject) => {
            w.on('message', (m: { listening?: string }) => m.listening && resolve(m.listening));
            w.on('exit', (code) => reject(new AppError(1, `a replica exited with code ${code} while starting.`)));
          }),
      ),
    ).catch((error: unknown) => {
      stopAll();
      throw error;
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, stopAll);
    io.stdout.write(`Serving ${describeTarget(o.target)} on ${urls[0]} (${o.replicas} replicas)\n`);
    io.onListening?.(urls[0]!, async () => {
      await Promise.all(
        workers.map(
          (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : (w.once('exit', () => resolve()), w.kill()))),
        ),
      );
    });
    return;
  }
  const db = await openDb(o.target);
  const service = await StoredMovieService.open(db, { ...o.service, seed: o.seed });
  const app = await createServer(service, { ...o.server, routes: storeRoutes(service) });
  const url = await app.listen({ port: o.port, host: o.host });
  const close = async () => {
    await app.close();
    await service.close();
    await db.close();
  };
  if (cluster.isWorker) {
    process.send?.({ listening: url });
    process.on('SIGTERM', () => void close().then(() => process.exit(0)));
    return;
  }
  io.stdout.write(`Serving ${describeTarget(o.target)} on ${url}\n`);
  io.onListening?.(url, close);
}
