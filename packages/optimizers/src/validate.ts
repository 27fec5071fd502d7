// Hyperparameter validation shared by optimizers and schedules: every failure is a ValueError
// naming the class, the field and the value.
import { ValueError, describeValue } from '@plasticity/core';

function fail(owner: string, field: string, value: unknown, rule: string): never {
  throw new ValueError(`${owner}: ${field} must be ${rule}; got ${describeValue(value)}.`, { field, value });
}

export function finite(owner: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(owner, field, value, 'a finite number');
  return value;
}

export function nonNegative(owner: string, field: string, value: unknown): number {
  const v = finite(owner, field, value);
  if (v < 0) fail(owner, field, value, '>= 0');
  return v;
}

export function positive(owner: string, field: string, value: unknown): number {
  const v = finite(owner, field, value);
  if (v <= 0) fail(owner, field, value, '> 0');
  return v;
}

/** In [0, 1). */
export function unitInterval(owner: string, field: string, value: unknown): number {
  const v = finite(owner, field, value);
  if (v < 0 || v >= 1) fail(owner, field, value, 'in [0, 1)');
  return v;
}

/** In [0, 1]. */
export function closedUnit(owner: string, field: string, value: unknown): number {
  const v = finite(owner, field, value);
  if (v < 0 || v > 1) fail(owner, field, value, 'in [0, 1]');
  return v;
}

export function positiveInteger(owner: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    fail(owner, field, value, 'a positive integer');
  return value;
}

export function nonNegativeInteger(owner: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(owner, field, value, 'an integer >= 0');
  return value;
}

export function oneOf<T extends string>(owner: string, field: string, value: unknown, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    fail(owner, field, value, `one of ${options.map((o) => `'${o}'`).join(', ')}`);
  }
  return value as T;
}

export function boolean(owner: string, field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(owner, field, value, 'true or false');
  return value;
}
