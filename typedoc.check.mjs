// @ts-check
/**
 * `npm run docs:check`: the API reference's documentation check. Builds nothing (`emit: none`)
 * and fails on any exported symbol of a public package — class, interface, function, type alias,
 * enum, variable and their public and protected properties, methods and accessors, and the
 * members of inline object types in their signatures — that has no doc comment. Every public
 * package is checked, with no list of tolerated exceptions: document a new export, or give an
 * inline object type a named, documented type.
 */
import base from './typedoc.config.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  ...base,
  emit: 'none',
  validation: { ...base.validation, notDocumented: true },
  treatValidationWarningsAsErrors: true,
};
