#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's "packageManager" through npx, so that a fresh
// machine with only Node 20 and npm needs no global pnpm and no corepack (whose signature check
// fails against some registries).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const { packageManager } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const match = /^pnpm@(\d+\.\d+\.\d+)/.exec(packageManager ?? '');
if (!match) {
  console.error(`package.json "packageManager" must pin pnpm (pnpm@x.y.z); found ${packageManager}`);
  process.exit(2);
}
const args = ['--yes', `pnpm@${match[1]}`, ...process.argv.slice(2)];
const result = spawnSync('npx', args, { stdio: 'inherit', cwd: root, shell: process.platform === 'win32' });
if (result.error) {
  console.error(result.error.message);
  process.exit(1);
}
process.exit(result.status ?? 1);
