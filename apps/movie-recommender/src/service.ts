/**
 * What the CLI and the server share: the dataset, fitted models (one per algorithm, fitted on
 * first use) and id/title lookups, with errors that carry an HTTP status.
 */
import type { Id, Recommendation, Recommender } from '@plasticity/recommenders';
import { canFoldIn, createAlgorithm, listAlgorithms, RATING_PREDICTORS } from './algorithms.js';
import type { MovieDataset } from './data.js';
import { compareAlgorithms, type AlgorithmScore, type CompareOptions } from './evaluate.js';

/** A request the service cannot answer: `status` is the HTTP status to send. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export interface MovieResult {
  id: Id;
  title: string;
  genres: string[];
  score: number;
}

export interface AlgorithmInfo {
  name: string;
  /** Predicts ratings (RMSE/MAE apply). */
  ratingPredictor: boolean;
  scores?: AlgorithmScore;
}

export interface ServiceOptions {
  defaultAlgorithm?: string;
  /** Algorithms scored for `/api/algorithms`. */
  compare?: readonly string[];
  compareOptions?: CompareOptions;
  /** Pre-fitted models by algorithm name (e.g. loaded from disk). */
  models?: Record<string, Recommender>;
}

/** Parses `k` (1…100). */
export function parseK(raw: unknown, fallback = 10): number {
  if (raw === undefined || raw === '') return fallback;
  const k = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(k) || k < 1 || k > 100) {
    throw new AppError(400, `k must be an integer from 1 to 100, got ${JSON.stringify(raw)}.`);
  }
  return k;
}

/** A dataset id from a URL segment: MovieLens ids are numbers; other datasets may use strings. */
function lookupId(has: (id: Id) => boolean, raw: Id): Id | undefined {
  if (typeof raw === 'string' && /^\d+$/.test(raw) && has(Number(raw))) return Number(raw);
  return has(raw) ? raw : undefined;
}

export class MovieService {
  readonly defaultAlgorithm: string;
  private readonly models = new Map<string, Promise<Recommender>>();
  private scores: Promise<AlgorithmScore[]> | undefined;

  constructor(
    readonly dataset: MovieDataset,
    private readonly options: ServiceOptions = {},
  ) {
    this.defaultAlgorithm = options.defaultAlgorithm ?? 'SVD';
    for (const [name, model] of Object.entries(options.models ?? {})) this.models.set(name, Promise.resolve(model));
  }

  /** Checks an algorithm name against the registry (400 listing the registered ones). */
  algorithm(name: string | undefined): string {
    const algo = name === undefined || name === '' ? this.defaultAlgorithm : name;
    const known = listAlgorithms();
    if (!known.includes(algo)) {
      throw new AppError(400, `unknown algorithm "${algo}"; use one of: ${known.join(', ')}.`);
    }
    return algo;
  }

  /** The model of an algorithm, fitted on the whole dataset on first use. */
  model(name: string | undefined): Promise<Recommender> {
    const algo = this.algorithm(name);
    let model = this.models.get(algo);
    if (model === undefined) {
      model = (async () => createAlgorithm(algo).fit(this.dataset.interactions))();
      model.catch(() => this.models.delete(algo));
      this.models.set(algo, model);
    }
    return model;
  }

  /** Replaces an algorithm's model (a hot swap: requests already holding the old one finish with it). */
  setModel(name: string, model: Recommender): void {
    this.models.set(name, Promise.resolve(model));
  }

  user(raw: Id): Id {
    const id = lookupId((u) => this.dataset.interactions.userIndex(u) !== undefined, raw);
    if (id === undefined) throw new AppError(404, `no user ${JSON.stringify(raw)} in ${this.dataset.source}.`);
    return id;
  }

  item(raw: Id): Id {
    const id = lookupId((i) => this.dataset.movies.has(i) || this.dataset.interactions.itemIndex(i) !== undefined, raw);
    if (id === undefined) throw new AppError(404, `no movie ${JSON.stringify(raw)} in ${this.dataset.source}.`);
    return id;
  }

  describe(list: readonly Recommendation[]): MovieResult[] {
    return list.map(({ item, score }) => {
      const movie = this.dataset.movies.get(item);
      return { id: item, title: movie?.title ?? `movie ${item}`, genres: movie?.genres ?? [], score };
    });
  }

  async recommend(user: Id, k: number, algo?: string): Promise<MovieResult[]> {
    const id = this.user(user);
    return this.describe((await this.model(algo)).recommend(id, k));
  }

  async similar(item: Id, k: number, algo?: string): Promise<MovieResult[]> {
    const id = this.item(item);
    const model = await this.model(algo);
    if (this.dataset.interactions.itemIndex(id) === undefined) {
      throw new AppError(404, `movie ${JSON.stringify(item)} has no ratings, so it has no neighbours.`);
    }
    try {
      return this.describe(model.similarItems(id, k));
    } catch (error) {
      throw new AppError(400, error instanceof Error ? error.message : String(error));
    }
  }

  /** Folds a new user's ratings into a model that supports it and recommends for them. */
  async rateAndRecommend(ratings: unknown, k: number, algo?: string): Promise<MovieResult[]> {
    if (!Array.isArray(ratings) || ratings.length === 0) {
      throw new AppError(400, 'ratings must be a non-empty array of { item, rating }.');
    }
    const [low, high] = this.dataset.interactions.ratingScale ?? [0.5, 5];
    const clean = ratings.map((r: unknown, n) => {
      const { item, rating } = (r ?? {}) as { item?: unknown; rating?: unknown };
      if ((typeof item !== 'number' && typeof item !== 'string') || typeof rating !== 'number') {
        throw new AppError(400, `ratings[${n}] must be { item: id, rating: number }, got ${JSON.stringify(r)}.`);
      }
      if (!(rating >= low && rating <= high)) {
        throw new AppError(400, `ratings[${n}].rating is ${rating}; ratings go from ${low} to ${high}.`);
      }
      return { item: this.item(item), rating };
    });
    const name = this.algorithm(algo);
    const model = await this.model(name);
    if (!canFoldIn(model)) {
      const able = listAlgorithms().filter((a) => RATING_PREDICTORS.has(a));
      throw new AppError(400, `${name} cannot fold in a new user; use an algorithm with foldIn (e.g. ${able[0]}).`);
    }
    return this.describe(model.foldIn(clean).recommend(k));
  }

  /** Registered algorithms with their comparison figures (computed once, on first call). */
  async algorithms(): Promise<AlgorithmInfo[]> {
    const names = listAlgorithms();
    const compare = (this.options.compare ?? names).filter((n) => names.includes(n));
    this.scores ??= compareAlgorithms(this.dataset.interactions, compare, this.options.compareOptions);
    const scores = await this.scores;
    return names.map((name) => {
      const s = scores.find((x) => x.algorithm === name);
      return { name, ratingPredictor: RATING_PREDICTORS.has(name), ...(s === undefined ? {} : { scores: s }) };
    });
  }

  /** Movies with the most ratings (for the page's "rate a few movies" list). */
  popularMovies(limit: number): MovieResult[] {
    const d = this.dataset.interactions;
    const counts = new Float64Array(d.numItems);
    for (let n = 0; n < d.size; n++) counts[d.items[n]!]!++;
    const order = Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
    return this.describe(order.slice(0, limit).map((i) => ({ item: d.itemIds.id(i), score: counts[i]! })));
  }

  /** The first `limit` user ids. */
  users(limit: number): Id[] {
    const ids = this.dataset.interactions.userIds.toArray();
    return ids.slice(0, limit);
  }
}
