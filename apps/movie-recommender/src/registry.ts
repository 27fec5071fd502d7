/**
 * The model registry: trained models stored in the `models` table (artifact bytes, config,
 * metrics, version per algorithm), at most one current per algorithm. `trainFromDb` reads the
 * ratings from the database, scores the algorithm on a held-out split, fits it on all of them and
 * registers it — promoted to current only when its metrics are no worse than the current model's
 * (or when forced), in the same transaction, which then `NOTIFY model_current` so serving
 * processes hot-swap.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Recommender } from '@plasticity/recommenders';
import { RATING_PREDICTORS, createAlgorithm } from './algorithms.js';
import type { Db, Queryable } from './db/client.js';
import { loadDatasetFromDb } from './db/import.js';
import { compareAlgorithms, type AlgorithmScore } from './evaluate.js';
import { AppError } from './service.js';

/** The channel a promotion is announced on; the payload is `{ algorithm, id }` as JSON. */
export const MODEL_CURRENT_CHANNEL = 'model_current';

export interface ModelMetrics {
  rmse: number | null;
  mae: number | null;
  precisionAt10: number | null;
  /** Ratings in the training snapshot. */
  ratings: number;
  testSize: number;
}

export interface RegistryRow {
  id: number;
  algorithm: string;
  version: number;
  config: Record<string, unknown>;
  metrics: ModelMetrics;
  dataAsOf: Date;
  createdAt: Date;
  isCurrent: boolean;
}

export interface LoadedModel extends RegistryRow {
  model: Recommender;
}

/** A saved recommender as bytes: a 4-byte length, the JSON of topology and weight specs, the weights. */
export function encodeArtifact(model: Recommender): Buffer {
  const a = model.toArtifacts();
  const head = Buffer.from(JSON.stringify({ modelTopology: a.modelTopology, weightSpecs: a.weightSpecs }));
  const data = a.weightData;
  const weights =
    data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.concat((data ?? []).map((b) => Buffer.from(b)));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, weights]);
}

export function decodeArtifact(bytes: Uint8Array, where = 'registry'): Recommender {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = buf.readUInt32BE(0);
  const head = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as tf.io.ModelArtifacts;
  const weights = buf.subarray(4 + n);
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return Recommender.fromArtifacts({ ...head, weightData }, where);
}

interface Row {
  id: number;
  algorithm: string;
  version: number;
  config: Record<string, unknown>;
  metrics: ModelMetrics;
  data_as_of: Date | string;
  created_at: Date | string;
  is_current: boolean;
}

const COLUMNS = 'id, algorithm, version, config, metrics, data_as_of, created_at, is_current';

function toRow(r: Row): RegistryRow {
  return {
    id: r.id,
    algorithm: r.algorithm,
    version: r.version,
    config: r.config,
    metrics: r.metrics,
    dataAsOf: new Date(r.data_as_of),
    createdAt: new Date(r.created_at),
    isCurrent: r.is_current,
  };
}

/** Every registered model, newest first. */
export async function listModels(db: Queryable, algorithm?: string): Promise<RegistryRow[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM models ${algorithm === undefined ? '' : 'WHERE algorithm = $1'} ORDER BY id DESC`,
    algorithm === undefined ? [] : [algorithm],
  );
  return rows.map(toRow);
}

/** The current model of an algorithm (decoded), if any. */
export async function loadCurrentModel(db: Queryable, algorithm: string): Promise<LoadedModel | undefined> {
  const { rows } = await db.query<Row & { artifact: Uint8Array }>(
    `SELECT ${COLUMNS}, artifact FROM models WHERE algorithm = $1 AND is_current`,
    [algorithm],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return { ...toRow(row), model: decodeArtifact(row.artifact, `registry model ${row.id}`) };
}

/** The current model's metrics are beaten or matched (lower RMSE for rating predictors, else higher precision@10). */
export function noWorse(candidate: ModelMetrics, current: ModelMetrics | undefined): boolean {
  if (current === undefined) return true;
  const eps = 1e-9;
  if (candidate.rmse !== null && current.rmse !== null) return candidate.rmse <= current.rmse + eps;
  if (candidate.precisionAt10 !== null && current.precisionAt10 !== null) {
    return candidate.precisionAt10 >= current.precisionAt10 - eps;
  }
  return false;
}

export interface RegisterOptions {
  /** Mark it current even when its metrics are worse. */
  force?: boolean;
}

export interface Registration extends RegistryRow {
  /** Why it was or was not promoted. */
  reason: string;
}

/** Stores a fitted model and promotes it when no worse than the current one, in one transaction. */
export async function registerModel(
  db: Db,
  algorithm: string,
  model: Recommender,
  metrics: ModelMetrics,
  dataAsOf: Date,
  options: RegisterOptions = {},
): Promise<Registration> {
  const artifact = encodeArtifact(model);
  return db.transaction(async (tx) => {
    // Serialises registrations of one algorithm (versions and the current flag).
    await tx.query('SELECT pg_advisory_xact_lock(16002, hashtext($1))', [algorithm]);
    const current = (
      await tx.query<{ metrics: ModelMetrics }>('SELECT metrics FROM models WHERE algorithm = $1 AND is_current', [
        algorithm,
      ])
    ).rows[0];
    const better = noWorse(metrics, current?.metrics);
    const promote = options.force === true || better;
    const reason =
      current === undefined
        ? 'first model of this algorithm'
        : better
          ? 'metrics no worse than the current model'
          : options.force === true
            ? 'forced, although its metrics are worse than the current model'
            : 'metrics worse than the current model (use --force to promote anyway)';
    if (promote)
      await tx.query('UPDATE models SET is_current = false WHERE algorithm = $1 AND is_current', [algorithm]);
    const { rows } = await tx.query<Row>(
      `INSERT INTO models (algorithm, version, config, metrics, data_as_of, is_current, artifact)
       VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM models WHERE algorithm = $1), $2::jsonb, $3::jsonb, $4, $5, $6)
       RETURNING ${COLUMNS}`,
      [algorithm, JSON.stringify(model.getConfig()), JSON.stringify(metrics), dataAsOf, promote, artifact],
    );
    const row = toRow(rows[0]!);
    if (promote) {
      await tx.query('SELECT pg_notify($1, $2)', [MODEL_CURRENT_CHANNEL, JSON.stringify({ algorithm, id: row.id })]);
    }
    return { ...row, reason };
  });
}

export interface TrainOptions extends RegisterOptions {
  testSize?: number;
  seed?: number;
}

/** Reads the ratings, scores `algorithm` on a held-out split, fits it on all of them and registers it. */
export async function trainFromDb(db: Db, algorithm: string, options: TrainOptions = {}): Promise<Registration> {
  const dataset = await loadDatasetFromDb(db);
  const testSize = options.testSize ?? 0.2;
  const [score] = (await compareAlgorithms(dataset.interactions, [algorithm], {
    testSize,
    seed: options.seed ?? 1,
  })) as [AlgorithmScore];
  if (score.error !== undefined) throw new AppError(1, `${algorithm} failed on the held-out split: ${score.error}`);
  const model = createAlgorithm(algorithm);
  await model.fit(dataset.interactions);
  const metrics: ModelMetrics = {
    rmse: RATING_PREDICTORS.has(algorithm) ? score.rmse : null,
    mae: RATING_PREDICTORS.has(algorithm) ? score.mae : null,
    precisionAt10: score.precisionAt10,
    ratings: dataset.interactions.size,
    testSize,
  };
  return registerModel(db, algorithm, model, metrics, dataset.dataAsOf, options);
}
