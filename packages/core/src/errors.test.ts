import { describe, expect, it } from 'vitest';
import {
  ArtifactError,
  BackendUnavailableError,
  PlasticityError,
  ShapeError,
  ValueError,
  describeValue,
} from './errors.js';

describe('errors', () => {
  it('carry stable codes and are PlasticityErrors', () => {
    const cases: [PlasticityError, string][] = [
      [new ShapeError('bad', { actual: [2], expected: [3] }), 'E_SHAPE'],
      [new ValueError('bad', { field: 'lr', value: -1 }), 'E_VALUE'],
      [new BackendUnavailableError('none', []), 'E_BACKEND_UNAVAILABLE'],
      [new ArtifactError('a/model.json', 'truncated'), 'E_ARTIFACT'],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(PlasticityError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('name the file in artifact errors and keep the cause', () => {
    const cause = new Error('ENOENT');
    const error = new ArtifactError('/tmp/m/model.json', 'not found.', { cause });
    expect(error.message).toBe('/tmp/m/model.json: not found.');
    expect(error.file).toBe('/tmp/m/model.json');
    expect(error.cause).toBe(cause);
  });

  it('describe values unambiguously', () => {
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue('x')).toBe('"x"');
    expect(describeValue([1, 2, 3])).toBe('[1,2,3]');
    expect(describeValue(Array.from({ length: 10 }, (_, i) => i))).toBe('[0,1,2,3,4,5,6,7,…]');
    expect(describeValue(undefined)).toBe('undefined');
  });
});
