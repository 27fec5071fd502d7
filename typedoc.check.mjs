// @ts-check
/**
 * `npm run docs:check`: the API reference's documentation check. Builds nothing (`emit: none`)
 * and fails on any exported symbol of a public package — class, interface, function, type alias,
 * enum, variable and their public properties, methods and accessors — that has no doc comment.
 *
 * `docs/undocumented.json` lists symbols still known to lack a comment (a ratchet): a new
 * undocumented export fails, and so does an entry that has since been documented, so the list
 * can only shrink. `npm run docs:baseline` rewrites it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import base, { packageNames } from './typedoc.config.mjs';

/** Packages whose documentation is not checked yet. */
const notChecked = [
];

const baselineFile = join(import.meta.dirname, 'docs/undocumented.json');

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  ...base,
  emit: 'none',
  validation: { ...base.validation, notDocumented: true },
  treatValidationWarningsAsErrors: true,
  packagesRequiringDocumentation: packageNames.filter((name) => !notChecked.includes(name)),
  intentionallyNotDocumented:
    process.env.PLASTICITY_DOCS_NO_BASELINE !== '1' && existsSync(baselineFile)
      ? JSON.parse(readFileSync(baselineFile, 'utf8'))
      : [],
};
