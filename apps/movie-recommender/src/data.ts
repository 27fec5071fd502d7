/**
 * Datasets for the app: a MovieLens folder (100k, 1M, latest / latest-small) read with
 * `@plasticity/datasets`, or a seeded synthetic catalogue with titles and genres so the app runs
 * offline.
 */
import { ValueError, createRng, describeValue } from '@plasticity/core';
import { loadMovieLens } from '@plasticity/datasets/node';
import { Interactions, type Id } from '@plasticity/recommenders';

/** One movie of the catalogue. */
export interface Movie {
  id: Id;
  title: string;
  genres: string[];
}

/** Ratings plus the catalogue they refer to. */
export interface MovieDataset {
  interactions: Interactions;
  movies: Map<Id, Movie>;
  /** Where the data came from: a folder, or `generated (seed N)`. */
  source: string;
}

/** Reads any MovieLens folder. */
export async function loadDataset(dir: string): Promise<MovieDataset> {
  const ml = await loadMovieLens(dir);
  const interactions = Interactions.fromArrays(
    {
      users: ml.ratings.userId,
      items: ml.ratings.itemId,
      values: ml.ratings.rating,
      timestamps: ml.ratings.timestamp,
    },
    { ratingScale: ml.format === 'latest' ? [0.5, 5] : [1, 5] },
  );
  const movies = new Map<Id, Movie>();
  for (const item of ml.items)
    movies.set(item.itemId, { id: item.itemId, title: item.title, genres: [...item.genres] });
  return { interactions, movies, source: dir };
}

export interface GenerateOptions {
  users?: number;
  movies?: number;
  /** Ratings per user (on average). */
  ratingsPerUser?: number;
  seed?: number;
}

const GENRES = ['Action', 'Comedy', 'Drama', 'Romance', 'Sci-Fi', 'Thriller', 'Animation', 'Documentary'];
const WORDS = ['Silent', 'Crimson', 'Last', 'Hidden', 'Electric', 'Lost', 'Golden', 'Broken', 'Midnight', 'Wild'];
const NOUNS = ['River', 'Empire', 'Garden', 'Signal', 'Harbor', 'Machine', 'Summer', 'Orbit', 'Letter', 'Frontier'];

/**
 * A seeded synthetic MovieLens-like dataset: each movie has one or two genres, each user a taste
 * per genre; a rating is the user's mean taste over the movie's genres plus noise, rounded to
 * half stars in [0.5, 5]. The same seed gives the same data.
 */
export function generateDataset(options: GenerateOptions = {}): MovieDataset {
  const { users = 200, movies = 150, ratingsPerUser = 25, seed = 1 } = options;
  for (const [field, value] of Object.entries({ users, movies, ratingsPerUser })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ValueError(`generateDataset: ${field} must be a positive integer, got ${describeValue(value)}.`, {
        field,
        value,
      });
    }
  }
  const rng = createRng(seed);
  const catalogue = new Map<Id, Movie>();
  const movieGenres: number[][] = [];
  for (let m = 0; m < movies; m++) {
    const g1 = rng.int(GENRES.length);
    const g2 = rng.int(GENRES.length);
    const genres = g1 === g2 || rng.uniform() < 0.5 ? [g1] : [g1, g2];
    movieGenres.push(genres);
    const title = `The ${WORDS[m % WORDS.length]} ${NOUNS[Math.floor(m / WORDS.length) % NOUNS.length]}`;
    const year = 1970 + Math.floor(rng.uniform() * 50);
    const id = m + 1;
    catalogue.set(id, {
      id,
      title: `${title}${m >= WORDS.length * NOUNS.length ? ` ${Math.floor(m / 100) + 1}` : ''} (${year})`,
      genres: genres.map((g) => GENRES[g]!),
    });
  }
  const us: number[] = [];
  const is: number[] = [];
  const vs: number[] = [];
  const ts: number[] = [];
  for (let u = 0; u < users; u++) {
    const taste = GENRES.map(() => 1 + rng.uniform() * 4);
    const count = Math.min(movies, Math.max(3, Math.round(ratingsPerUser * (0.5 + rng.uniform()))));
    const seen = new Set<number>();
    while (seen.size < count) seen.add(rng.int(movies));
    let t = 1_500_000_000 + u * 1000;
    for (const m of seen) {
      const genres = movieGenres[m]!;
      const mean = genres.reduce((s, g) => s + taste[g]!, 0) / genres.length;
      const noisy = mean + (rng.uniform() - 0.5);
      us.push(u + 1);
      is.push(m + 1);
      vs.push(Math.min(5, Math.max(0.5, Math.round(noisy * 2) / 2)));
      ts.push(t++);
    }
  }
  const interactions = Interactions.fromArrays(
    { users: us, items: is, values: vs, timestamps: ts },
    { ratingScale: [0.5, 5] },
  );
  return { interactions, movies: catalogue, source: `generated (seed ${seed})` };
}

/** Writes a dataset as a MovieLens "latest" folder (`ratings.csv`, `movies.csv`): used to make fixtures. */
export function toMovieLensCsv(dataset: MovieDataset): { ratings: string; movies: string } {
  const { interactions: d } = dataset;
  const lines = ['userId,movieId,rating,timestamp'];
  for (let n = 0; n < d.size; n++) {
    const ts = d.timestamps?.[n] ?? 0;
    lines.push(`${d.userIds.id(d.users[n]!)},${d.itemIds.id(d.items[n]!)},${d.values[n]},${ts}`);
  }
  const movies = ['movieId,title,genres'];
  for (const m of dataset.movies.values()) {
    const title = /[",]/.test(m.title) ? `"${m.title.replace(/"/g, '""')}"` : m.title;
    movies.push(`${m.id},${title},${m.genres.join('|') || '(no genres listed)'}`);
  }
  return { ratings: `${lines.join('\n')}\n`, movies: `${movies.join('\n')}\n` };
}

/**
 * Finds a movie by id (number or numeric string) or by title (exact, case-insensitive, or the
 * single title containing the text).
 *
 * @throws ValueError naming the query when no movie or several movies match.
 */
export function findMovie(dataset: MovieDataset, query: string | number): Movie {
  const text = String(query).trim();
  if (/^\d+$/.test(text)) {
    const byId = dataset.movies.get(Number(text));
    if (byId !== undefined) return byId;
  }
  const lower = text.toLowerCase();
  const all = [...dataset.movies.values()];
  const exact = all.filter((m) => m.title.toLowerCase() === lower);
  if (exact.length === 1) return exact[0]!;
  const partial = all.filter((m) => m.title.toLowerCase().includes(lower));
  if (partial.length === 1) return partial[0]!;
  if (partial.length > 1 && lower !== '') {
    const shown = partial
      .slice(0, 5)
      .map((m) => `${m.id} "${m.title}"`)
      .join(', ');
    throw new ValueError(`"${text}" matches ${partial.length} movies (${shown}…); pass a movie id or a longer title.`, {
      field: 'item',
      value: text,
    });
  }
  throw new ValueError(`no movie with id or title ${describeValue(text)}; pass an id from movies.csv or a title.`, {
    field: 'item',
    value: text,
  });
}
