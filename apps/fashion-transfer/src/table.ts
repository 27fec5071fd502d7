/** Results tables: mean ± standard deviation over seeds, as aligned plain text. */
import { METHOD_LABELS, type TransferRow } from './experiment.js';

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, std };
}

/** Pads cells into a Markdown-style table with a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const pct = ({ mean, std }: { mean: number; std: number }, n: number): string =>
  n > 1 ? `${(100 * mean).toFixed(1)} ± ${(100 * std).toFixed(1)}` : (100 * mean).toFixed(1);

/** One row per (shots, method): validation and test accuracy (%) over seeds, trainable parameters, seconds. */
export function transferTable(rows: readonly TransferRow[]): string {
  const groups = new Map<string, TransferRow[]>();
  for (const row of rows) {
    const key = `${row.shots}\u0000${row.method}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const body = [...groups.values()].map((g) => [
    String(g[0]!.shots),
    METHOD_LABELS[g[0]!.method],
    pct(meanStd(g.map((r) => r.validationAccuracy)), g.length),
    pct(meanStd(g.map((r) => r.testAccuracy)), g.length),
    String(g[0]!.trainableParams),
    meanStd(g.map((r) => r.seconds)).mean.toFixed(1),
  ]);
  return formatTable(['labels/class', 'method', 'val acc %', 'test acc %', 'trainable params', 'train s'], body);
}
