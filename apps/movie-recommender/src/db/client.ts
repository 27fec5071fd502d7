/**
 * One query interface over two engines: **PGlite** (Postgres compiled to WASM, embedded, persistent
 * in a data folder; the default) and a **PostgreSQL server** through `pg` (selected with a
 * `postgres://` URL, e.g. `DATABASE_URL`). The same SQL runs on both.
 *
 * ```ts
 * const db = await openDb('./data/db');            // or 'postgres://app@127.0.0.1:5432/app'
 * await db.transaction(async (tx) => tx.query('INSERT INTO movies VALUES ($1, $2)', [1, 'Heat']));
 * const stop = await db.listen('model_current', (payload) => console.log(payload));
 * ```
 */
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

// int8 (bigint, count(*)) as a JS number: every bigint here (timestamps, counts) fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted (0 for a SELECT on PGlite). */
  rowCount: number;
}

/** What a connection and a transaction both offer. */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Runs several `;`-separated statements (no parameters). */
  exec(sql: string): Promise<void>;
  /** Whether {@link Queryable.copyCsv} works (PostgreSQL: yes; PGlite: no, insert in batches). */
  readonly canCopy: boolean;
  /** Streams CSV rows into `COPY <table> (<columns>) FROM STDIN` (PostgreSQL only). */
  copyCsv(table: string, columns: readonly string[], rows: Readable): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTENs on a channel; resolves to a function that stops listening. */
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Opens a PostgreSQL server (`postgres://…` or `postgresql://…`) or a PGlite data folder. */
export async function openDb(target: string): Promise<Db> {
  if (/^postgres(ql)?:\/\//.test(target)) return openPostgres(target);
  return openPglite(target);
}

/** An in-memory PGlite (tests). */
export async function openMemoryDb(): Promise<Db> {
  return pgliteDb(await PGlite.create());
}

async function openPglite(dir: string): Promise<Db> {
  mkdirSync(dir, { recursive: true });
  return pgliteDb(await PGlite.create(dir));
}

function pgliteDb(lite: PGlite): Db {
  type LiteLike = Pick<PGlite, 'query' | 'exec'>;
  const wrap = (q: LiteLike): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const r = await q.query<T>(text, [...params]);
      return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    canCopy: false,
    async copyCsv() {
      throw new Error('PGlite has no COPY FROM STDIN here; insert in batches.');
    },
  });
  const base = wrap(lite);
  return {
    engine: 'pglite',
    ...base,
    transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))),
    async listen(channel, callback) {
      const stop = await lite.listen(channel, callback);
      return async () => stop();
    },
    close: () => lite.close(),
  };
}

function openPostgres(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<T>(text: string, params: readonly unknown[] = []) {
      const r = await c.query(text, [...params]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await c.query(sql);
    },
    canCopy: true,
    async copyCsv(table, columns, rows) {
      const client = 'release' in c ? c : await c.connect();
      try {
        const sink = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
        await pipeline(rows, sink);
      } finally {
        if (client !== c) (client as pg.PoolClient).release();
      }
    },
  });
  const listeners: pg.PoolClient[] = [];
  return {
    engine: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      // The connection dropping between two statements (server restart) is an 'error' event on a
      // checked-out client: without a listener it would crash the process. The next query rejects.
      const onError = () => (broken = true);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        // A connection that cannot even roll back is gone (server restart): drop it from the pool.
        client.off('error', onError);
        client.release(broken);
      }
    },
    async listen(channel, callback) {
      // One dedicated connection per channel; when it drops (server restart) it reconnects and
      // LISTENs again every second until it succeeds or is stopped.
      let client: pg.PoolClient | undefined;
      let stopped = false;
      const onNotification = (m: pg.Notification) => {
        if (m.channel === channel) callback(m.payload ?? '');
      };
      const connect = async (): Promise<void> => {
        const c = await pool.connect();
        c.on('notification', onNotification);
        c.on('error', () => {
          if (client !== c) return;
          client = undefined;
          listeners.splice(listeners.indexOf(c), 1);
          c.release(true);
          const retry = (): void => {
            if (stopped) return;
            connect().catch(() => setTimeout(retry, 1000).unref());
          };
          setTimeout(retry, 1000).unref();
        });
        try {
          await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
        } catch (error) {
          c.release(true);
          throw error;
        }
        if (stopped) {
          c.release();
          return;
        }
        client = c;
        listeners.push(c);
      };
      await connect();
      return async () => {
        stopped = true;
        const c = client;
        client = undefined;
        if (c === undefined) return;
        c.off('notification', onNotification);
        await c.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => {});
        listeners.splice(listeners.indexOf(c), 1);
        c.release();
      };
    },
    async close() {
      for (const c of listeners.splice(0)) c.release();
      await pool.end();
    },
  };
}
