/** Ranking metrics the app adds to the rating metrics of `@plasticity/recommenders`. */
import type { RankingMetric } from '@plasticity/recommenders';

/**
 * Precision at k: per test user, the share of the top-`k` recommendations that are held-out items
 * rated at least `threshold`, averaged over users with at least one such item.
 */
export function precisionAt(k: number, threshold = 4): RankingMetric {
  return {
    name: `precision@${k}`,
    kind: 'ranking',
    higherIsBetter: true,
    k,
    compute(cases) {
      let sum = 0;
      let users = 0;
      for (const c of cases) {
        let relevant = 0;
        for (const v of c.relevant.values()) if (v >= threshold) relevant++;
        if (relevant === 0) continue;
        let hits = 0;
        for (const r of c.recommended.slice(0, k)) if ((c.relevant.get(r.item) ?? 0) >= threshold) hits++;
        sum += hits / k;
        users++;
      }
      return users === 0 ? Number.NaN : sum / users;
    },
  };
}
