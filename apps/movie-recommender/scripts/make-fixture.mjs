// Regenerates fixtures/ml-tiny (a small MovieLens "latest"-format folder) from the seeded
// generator. Run after `pnpm build`: node scripts/make-fixture.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDataset, toMovieLensCsv } from '../dist/index.js';

export const FIXTURE = { users: 40, movies: 30, ratingsPerUser: 12, seed: 7 };
const dir = join(import.meta.dirname, '..', 'fixtures', 'ml-tiny');
mkdirSync(dir, { recursive: true });
const { ratings, movies } = toMovieLensCsv(generateDataset(FIXTURE));
writeFileSync(join(dir, 'ratings.csv'), ratings);
writeFileSync(join(dir, 'movies.csv'), movies);
console.log(`wrote ${dir}`);
