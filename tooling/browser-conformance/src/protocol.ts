/** What the page reports in `window.__results`. */
export interface CaseResult {
  /** The conformance test title: `'<case> forward'` or `'<case> gradient'`. */
  title: string;
  ok: boolean;
  error?: string;
}

/** One matMul n×n×n timing measured in the page (median, including read-back). */
export interface BenchRow {
  n: number;
  medianMs: number;
  gflops: number;
  reps: number;
}

export interface PageResults {
  /** The tfjs backend that was active. */
  backend: string;
  cases?: CaseResult[];
  bench?: BenchRow[];
  /** Set when the backend could not be activated or the page failed. */
  error?: string;
}
