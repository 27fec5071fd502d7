// Writes fixtures/fashion-mnist-subset/: the first 200 training and first 100 test samples of
// Fashion-MNIST (MIT license, (c) Zalando SE) as gzipped IDX files with the original names.
// Source: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or the folder given
// as the first argument.  Run: node scripts/make-fashion-mnist-subset.mjs [source-dir]
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const out = new URL('../fixtures/fashion-mnist-subset/', import.meta.url);
mkdirSync(out, { recursive: true });

for (const [prefix, keep] of [
  ['train', 200],
  ['t10k', 100],
]) {
  for (const [kind, sampleBytes] of [
    ['images-idx3', 28 * 28],
    ['labels-idx1', 1],
  ]) {
    const name = `${prefix}-${kind}-ubyte.gz`;
    const bytes = gunzipSync(readFileSync(join(source, name)));
    const rank = bytes[3];
    const header = Buffer.from(bytes.subarray(0, 4 + 4 * rank));
    header.writeUInt32BE(keep, 4); // first dimension: the sample count
    const body = bytes.subarray(4 + 4 * rank, 4 + 4 * rank + keep * sampleBytes);
    // mtime 0 in the gzip header (zlib writes 0) keeps the output byte-identical across runs.
    writeFileSync(new URL(name, out), gzipSync(Buffer.concat([header, body]), { level: 9 }));
  }
}
console.log(`wrote ${out.pathname}`);
