/**
 * Top-k selection over a score array with a size-k min-heap: O(n log k), no full sort. Ties go to
 * the lower index so results are deterministic; NaN scores and banned indices are skipped.
 */

/** The `k` highest `[index, score]` pairs of `scores`, best first, skipping `banned[i] !== 0`. */
export function topK(scores: ArrayLike<number>, k: number, banned?: ArrayLike<number>): [number, number][] {
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  let size = 0;
  // "a is worse than b": lower score, or equal score and higher index.
  const worse = (va: number, ia: number, vb: number, ib: number): boolean => va < vb || (va === vb && ia > ib);
  const siftDown = (pos: number): void => {
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let m = pos;
      if (l < size && worse(heapVal[l]!, heapIdx[l]!, heapVal[m]!, heapIdx[m]!)) m = l;
      if (r < size && worse(heapVal[r]!, heapIdx[r]!, heapVal[m]!, heapIdx[m]!)) m = r;
      if (m === pos) return;
      [heapVal[m], heapVal[pos]] = [heapVal[pos]!, heapVal[m]!];
      [heapIdx[m], heapIdx[pos]] = [heapIdx[pos]!, heapIdx[m]!];
      pos = m;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (Number.isNaN(v) || (banned !== undefined && banned[i])) continue;
    if (size < k) {
      let pos = size++;
      heapVal[pos] = v;
      heapIdx[pos] = i;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!worse(heapVal[pos]!, heapIdx[pos]!, heapVal[parent]!, heapIdx[parent]!)) break;
        [heapVal[parent], heapVal[pos]] = [heapVal[pos]!, heapVal[parent]!];
        [heapIdx[parent], heapIdx[pos]] = [heapIdx[pos]!, heapIdx[parent]!];
        pos = parent;
      }
    } else if (worse(heapVal[0]!, heapIdx[0]!, v, i)) {
      heapVal[0] = v;
      heapIdx[0] = i;
      siftDown(0);
    }
  }
  const out: [number, number][] = [];
  for (let j = 0; j < size; j++) out.push([heapIdx[j]!, heapVal[j]!]);
  return out.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
}
