#!/usr/bin/env node
// Prints one closing line for the whole test command from vitest's JSON reports:
// "tests: N passed, N failed, N skipped", after listing tests titled "UNAVAILABLE HERE: …". Exits non-zero if a report is missing or has failures.
import { existsSync, readFileSync } from 'node:fs';

const reports = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const unavailable = [];
for (const file of reports) {
  if (!existsSync(file)) {
    console.error(`test report ${file} is missing: that test run did not finish`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.title.startsWith('UNAVAILABLE HERE:')) unavailable.push(t.title.slice('UNAVAILABLE HERE:'.length).trim());
    }
  }
}
// Tests that could not exercise their subject on this machine pass by asserting the precise
// reason; they are listed here so that "passed" never hides them.
for (const reason of unavailable) console.log(`not exercised on this machine: ${reason}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
