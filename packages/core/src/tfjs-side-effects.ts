// tfjs-core's package entry registers no gradients and no chained tensor methods (`x.mul(y)`);
// the `@tensorflow/tfjs` union package does that. Its `register_all_gradients` module cannot be
// imported from plain Node ESM (it uses extensionless imports), so in Node this loads a bundle of
// it built by scripts/bundle-tfjs.mjs; bundlers (browser) load the tfjs modules directly. The
// registries live on globalThis, so the bundle registers into the same engine as the app's
// tfjs-core.
// tfjs-core first: its module creates the global engine with its own Tensor class. Were the
// bundle below evaluated first (when an app imports @plasticity/core before tfjs-core), the
// engine would be the bundle's copy, whose Tensor methods have no op handler.
import '@tensorflow/tfjs-core';
import '#tfjs-gradients';
// Then replace the gradients tfjs gets wrong (see gradient-fixes.ts).
import './gradient-fixes.js';
