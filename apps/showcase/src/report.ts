/** The showcase's final results table (pure formatting). */
import { formatTable, transferTable, type TransferRow } from '@plasticity/app-fashion-transfer';
import type { RecommenderComparison } from './recommend.js';

const num = (v: number | undefined, digits: number): string => (v === undefined ? '' : v.toFixed(digits));

/** Rating algorithms with RMSE and MAE, then top-N algorithms with precision@k. */
export function recommenderTable(result: RecommenderComparison, k = 10): string {
  const rows = [
    ...result.rating.map((r) => [
      r.algorithm,
      num(r.metrics['rmse'], 4),
      num(r.metrics['mae'], 4),
      '',
      num(r.fitSeconds, 2),
    ]),
    ...result.ranking.map((r) => [r.algorithm, '', '', num(r.metrics[`precision@${k}`], 4), num(r.fitSeconds, 2)]),
  ];
  return formatTable(['algorithm', 'RMSE', 'MAE', `precision@${k}`, 'fit s'], rows);
}

export { transferTable, type TransferRow };
