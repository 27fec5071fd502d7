/**
 * The root `npm start` showcase: a recommender comparison and a transfer-learning comparison.
 *
 * @packageDocumentation
 */
export {
  ALGORITHM_CONFIG,
  RANKING_ALGORITHMS,
  RATING_ALGORITHMS,
  compareRecommenders,
  generateRatings,
  precisionAtK,
  recommenderClass,
  type CompareOptions,
  type RecommenderComparison,
  type RecommenderRow,
} from './recommend.js';
export { DEFAULT_MOVIELENS_DIR, USAGE, parseCli, type ShowcaseOptions } from './cli.js';
export { recommenderTable } from './report.js';
