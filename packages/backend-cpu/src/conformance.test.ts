import { defineConformanceSuite } from '@plasticity/test-utils/vitest';
import { readFileSync } from 'node:fs';
import { cpuBackend } from './index.js';

// Tests this backend is known to fail, with the reason; each must still fail (it.fails).
const knownGaps = JSON.parse(readFileSync(new URL('../conformance-gaps.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;

defineConformanceSuite({ plugin: cpuBackend, knownGaps });
