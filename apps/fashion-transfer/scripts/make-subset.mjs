#!/usr/bin/env node
/**
 * Writes fixtures/fashion-mnist-3k: the first 3000 training and first 1000 test samples of
 * Fashion-MNIST (MIT licence, Zalando Research), in the original IDX `.gz` layout.
 *
 * Usage: node scripts/make-subset.mjs [source dir, default /usr/share/datasets/fashion-mnist]
 * (Debian/Ubuntu: `apt-get install dataset-fashion-mnist` provides the source files.)
 */
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const target = fileURLToPath(new URL('../fixtures/fashion-mnist-3k', import.meta.url));
mkdirSync(target, { recursive: true });

for (const [split, count] of [
  ['train', 3000],
  ['t10k', 1000],
]) {
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const name = `${split}-${kind}-ubyte.gz`;
    const bytes = gunzipSync(readFileSync(join(source, name)));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const rank = view.getUint8(3);
    const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
    const per = dims.slice(1).reduce((a, b) => a * b, 1);
    const header = Buffer.from(bytes.subarray(0, 4 + 4 * rank));
    new DataView(header.buffer, header.byteOffset).setUint32(4, count);
    const body = bytes.subarray(4 + 4 * rank, 4 + 4 * rank + count * per);
    writeFileSync(join(target, name), gzipSync(Buffer.concat([header, body]), { level: 9 }));
    console.log(`${name}: ${count} of ${dims[0]} samples`);
  }
}
