/**
 * The service on the database: the catalogue, users and ratings live in Postgres (PGlite or a
 * server), models come from the registry, and rating writes persist.
 *
 * A write commits before it is acknowledged and stamps the user's `ratings_changed_at`. A user whose
 * ratings changed after the current model's training snapshot is answered by **folding in** their
 * stored ratings (no retrain); the fold-in is computed lazily from the database, so it survives a
 * restart and is the same in every process. Every write also `NOTIFY ratings_changed` (the user id)
 * and every promotion `NOTIFY model_current`: a listening process drops that user's cached fold-in,
 * or swaps in the new model (requests already running finish with the model they started with).
 */
import type { FoldedUser, Id, Recommender } from '@plasticity/recommenders';
import { canFoldIn, listAlgorithms, RATING_PREDICTORS } from './algorithms.js';
import type { Db, Queryable } from './db/client.js';
import { importDataset, loadDatasetFromDb, type StoredDataset } from './db/import.js';
import { migrate } from './db/migrate.js';
import { MODEL_CURRENT_CHANNEL, loadCurrentModel, trainFromDb } from './registry.js';
import type { MovieDataset } from './data.js';
import { AppError, MovieService, type MovieResult, type ServiceOptions } from './service.js';

export const RATINGS_CHANGED_CHANNEL = 'ratings_changed';

/** A user's ratings that changed up to this long before a model's snapshot are folded in too (clock and commit skew). */
const SNAPSHOT_MARGIN_MS = 60_000;

export interface StoredServiceOptions extends ServiceOptions {
  /** Imported when the database has no ratings yet (e.g. the generated dataset). */
  seed?: () => Promise<MovieDataset> | MovieDataset;
  /** Train and register the default algorithm at start when the registry has no current one (default true). */
  trainIfMissing?: boolean;
  /** Called after a hot swap (tests and logs). */
  onSwap?: (algorithm: string, id: number) => void;
}

export interface StoredRating {
  item: Id;
  rating: number;
  ts: number;
}

interface Folded {
  changedAt: number;
  model: Recommender;
  user: FoldedUser | undefined;
}

export class StoredMovieService extends MovieService {
  private readonly known = new Set<number>();
  private readonly asOf = new Map<string, Date>();
  private readonly lookups = new Map<string, Promise<void>>();
  private readonly folded = new Map<string, Folded>();
  private readonly stops: (() => Promise<void>)[] = [];

  private constructor(
    readonly db: Db,
    override readonly dataset: StoredDataset,
    private readonly storedOptions: StoredServiceOptions,
  ) {
    super(dataset, storedOptions);
  }

  /** Migrates, seeds an empty database, loads the current model (training one if needed) and listens. */
  static async open(db: Db, options: StoredServiceOptions = {}): Promise<StoredMovieService> {
    await migrate(db);
    const empty = (await db.query('SELECT 1 FROM ratings LIMIT 1')).rows.length === 0;
    if (empty && options.seed !== undefined) await importDataset(db, await options.seed());
    const dataset = await loadDatasetFromDb(db);
    const service = new StoredMovieService(db, dataset, options);
    for (const { id } of (await db.query<{ id: number }>('SELECT id FROM users')).rows) service.known.add(id);
    const algo = service.defaultAlgorithm;
    service.algorithm(algo);
    if ((await loadCurrentModel(db, algo)) === undefined && options.trainIfMissing !== false) {
      await trainFromDb(db, algo);
    }
    await service.model(algo);
    service.stops.push(
      await db.listen(MODEL_CURRENT_CHANNEL, (payload) => {
        void service.onModelCurrent(payload);
      }),
      await db.listen(RATINGS_CHANGED_CHANNEL, (payload) => {
        const user = Number(payload);
        service.known.add(user);
        for (const key of service.folded.keys()) if (key.endsWith(`:${user}`)) service.folded.delete(key);
      }),
    );
    return service;
  }

  private async onModelCurrent(payload: string): Promise<void> {
    try {
      const { algorithm } = JSON.parse(payload) as { algorithm: string; id: number };
      const current = await loadCurrentModel(this.db, algorithm);
      if (current === undefined) return;
      this.asOf.set(algorithm, current.dataAsOf);
      this.setModel(algorithm, current.model);
      this.lookups.set(algorithm, Promise.resolve());
      this.storedOptions.onSwap?.(algorithm, current.id);
    } catch {
      // A bad payload or a lost connection: keep serving the model already loaded.
    }
  }

  /** Stops listening (the caller closes the database). */
  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) await stop();
  }

  /** The registry's current model of an algorithm when there is one, else (base class) fitted on first use. */
  override async model(name: string | undefined): Promise<Recommender> {
    const algo = this.algorithm(name);
    let lookup = this.lookups.get(algo);
    if (lookup === undefined) {
      lookup = (async () => {
        const current = await loadCurrentModel(this.db, algo);
        if (current !== undefined) {
          this.asOf.set(algo, current.dataAsOf);
          this.setModel(algo, current.model);
        }
      })();
      lookup.catch(() => this.lookups.delete(algo));
      this.lookups.set(algo, lookup);
    }
    await lookup;
    return super.model(algo);
  }

  override user(raw: Id): Id {
    const id = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : Number.NaN;
    if (!this.known.has(id)) throw new AppError(404, `no user ${JSON.stringify(raw)} in the database.`);
    return id;
  }

  override async recommend(user: Id, k: number, algo?: string): Promise<MovieResult[]> {
    const id = this.user(user) as number;
    const name = this.algorithm(algo);
    const model = await this.model(name);
    const { rows } = await this.db.query<{ changed: Date | null }>(
      'SELECT ratings_changed_at AS changed FROM users WHERE id = $1',
      [id],
    );
    if (rows.length === 0) throw new AppError(404, `no user ${id} in the database.`);
    const changed = rows[0]!.changed === null ? undefined : new Date(rows[0]!.changed).getTime();
    const asOf = (this.asOf.get(name) ?? this.dataset.dataAsOf).getTime();
    if (changed === undefined || changed < asOf - SNAPSHOT_MARGIN_MS) {
      try {
        return this.describe(model.recommend(id, k));
      } catch {
        // Not in this model's training data: fold in below.
      }
    }
    const folded = await this.foldedUser(name, id, model, changed ?? 0);
    if (folded === undefined) return this.popularMovies(k);
    return this.describe(folded.recommend(k));
  }

  private async foldedUser(algo: string, user: number, model: Recommender, changedAt: number) {
    const key = `${algo}:${user}`;
    const cached = this.folded.get(key);
    if (cached !== undefined && cached.changedAt === changedAt && cached.model === model) return cached.user;
    if (!canFoldIn(model)) {
      const able = listAlgorithms().filter((a) => RATING_PREDICTORS.has(a));
      throw new AppError(400, `${algo} cannot fold in user ${user}'s new ratings; use e.g. ${able[0]}.`);
    }
    const ratings = await this.ratings(user);
    const folded = ratings.length === 0 ? undefined : model.foldIn(ratings);
    this.folded.set(key, { changedAt, model, user: folded });
    return folded;
  }

  /** A user's stored ratings. */
  async ratings(user: Id): Promise<StoredRating[]> {
    const id = this.user(user);
    const { rows } = await this.db.query<{ item: number; rating: number; ts: number }>(
      'SELECT movie_id AS item, rating, ts::float8 AS ts FROM ratings WHERE user_id = $1 ORDER BY movie_id',
      [id],
    );
    return rows;
  }

  private clean(ratings: unknown): { item: number; rating: number }[] {
    const list = Array.isArray(ratings) ? ratings : [ratings];
    if (list.length === 0 || ratings === undefined || ratings === null) {
      throw new AppError(400, 'send { ratings: [{ item, rating }] } (or one { item, rating }).');
    }
    const [low, high] = this.dataset.interactions.ratingScale ?? [0.5, 5];
    return list.map((r: unknown, n) => {
      const { item, rating } = (r ?? {}) as { item?: unknown; rating?: unknown };
      if ((typeof item !== 'number' && typeof item !== 'string') || typeof rating !== 'number') {
        throw new AppError(400, `ratings[${n}] must be { item: id, rating: number }, got ${JSON.stringify(r)}.`);
      }
      if (!(rating >= low && rating <= high)) {
        throw new AppError(400, `ratings[${n}].rating is ${rating}; ratings go from ${low} to ${high}.`);
      }
      return { item: this.item(item) as number, rating };
    });
  }

  private async write(tx: Queryable, user: number, ratings: readonly { item: number; rating: number }[]) {
    for (const r of ratings) {
      await tx.query(
        `INSERT INTO ratings (user_id, movie_id, rating, ts) VALUES ($1, $2, $3, extract(epoch FROM now())::bigint)
         ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = EXCLUDED.rating, ts = EXCLUDED.ts`,
        [user, r.item, r.rating],
      );
    }
    await this.touch(tx, user);
  }

  private async touch(tx: Queryable, user: number) {
    await tx.query('UPDATE users SET ratings_changed_at = clock_timestamp() WHERE id = $1', [user]);
    await tx.query('SELECT pg_notify($1, $2)', [RATINGS_CHANGED_CHANNEL, String(user)]);
  }

  /** Stores (or updates) ratings of an existing user; resolves after the commit. */
  async rate(user: Id, ratings: unknown): Promise<number> {
    const id = this.user(user) as number;
    const clean = this.clean(ratings);
    await this.db.transaction((tx) => this.write(tx, id, clean));
    this.folded.delete(`${this.defaultAlgorithm}:${id}`);
    return clean.length;
  }

  /** Deletes one rating; 404 when the user has not rated that movie. */
  async unrate(user: Id, movie: Id): Promise<void> {
    const id = this.user(user) as number;
    const item = this.item(movie) as number;
    const deleted = await this.db.transaction(async (tx) => {
      const r = await tx.query('DELETE FROM ratings WHERE user_id = $1 AND movie_id = $2 RETURNING movie_id', [
        id,
        item,
      ]);
      if (r.rows.length > 0) await this.touch(tx, id);
      return r.rows.length;
    });
    if (deleted === 0) throw new AppError(404, `user ${id} has not rated movie ${item}.`);
  }

  /** Signs up a new user with a few ratings (stored), and recommends for them by fold-in. */
  async signUp(ratings: unknown, k: number, algo?: string): Promise<{ user: number; items: MovieResult[] }> {
    const clean = this.clean(ratings);
    const name = this.algorithm(algo);
    const model = await this.model(name);
    if (!canFoldIn(model)) {
      const able = listAlgorithms().filter((a) => RATING_PREDICTORS.has(a));
      throw new AppError(400, `${name} cannot fold in a new user; use an algorithm with foldIn (e.g. ${able[0]}).`);
    }
    const user = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(16003)');
      const { rows } = await tx.query<{ id: number }>(
        'INSERT INTO users (id) SELECT coalesce(max(id), 0) + 1 FROM users RETURNING id',
      );
      const id = rows[0]!.id;
      await this.write(tx, id, clean);
      return id;
    });
    this.known.add(user);
    return { user, items: await this.recommend(user, k, name) };
  }

  /** Reads the ratings back for the user (no model needed). */
  override async rateAndRecommend(ratings: unknown, k: number, algo?: string): Promise<MovieResult[]> {
    return (await this.signUp(ratings, k, algo)).items;
  }
}
