import { describe, expect, it } from 'vitest';
import { ValueError } from '@plasticity/core';
import { closeMatches, editDistance, optionLabel, resolveOptions, type OptionSchema } from './options.js';

const SCHEMA: OptionSchema = {
  names: ['factors', 'epochs', 'learningRate', 'baseline'],
  aliases: { n_factors: 'factors', nFactors: 'factors', n_epochs: 'epochs', lr_all: 'learningRate', bsl: 'baseline' },
  nested: { baseline: { names: ['method', 'epochs'], aliases: { n_epochs: 'epochs' } } },
};

function thrown(f: () => unknown): ValueError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ValueError);
    return error as ValueError;
  }
  throw new Error('expected a ValueError');
}

describe('editDistance', () => {
  it('is the Levenshtein distance, ignoring case and underscores', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('nFactorz', 'nFactors')).toBe(1);
    expect(editDistance('n_factors', 'nFactors')).toBe(0);
    expect(editDistance('factors', 'factors')).toBe(0);
  });
});

describe('resolveOptions', () => {
  it('maps aliases, nested ones included, to canonical names and drops undefined values', () => {
    const out = resolveOptions('Model', { n_factors: 5, lr_all: 0.1, epochs: undefined, bsl: { n_epochs: 3 } }, SCHEMA);
    expect(out).toEqual({ factors: 5, learningRate: 0.1, baseline: { epochs: 3 } });
  });

  it('keeps canonical names as they are and accepts an undefined config', () => {
    expect(resolveOptions('Model', { factors: 5, epochs: 2 }, SCHEMA)).toEqual({ factors: 5, epochs: 2 });
    expect(resolveOptions('Model', undefined, SCHEMA)).toEqual({});
  });

  it('refuses an unknown option, naming it, the class and the close matches with their aliases', () => {
    const e = thrown(() => resolveOptions('SVD', { nFactorz: 5 }, SCHEMA));
    expect(e.message).toBe('SVD: unknown option "nFactorz"; did you mean "factors" (alias nFactors)?');
    expect(e.field).toBe('nFactorz');
    expect(e.value).toBe(5);
    expect(thrown(() => resolveOptions('SVD', { epoch: 5 }, SCHEMA)).message).toMatch(/did you mean "epochs"\?/);
  });

  it('lists the options when nothing is close, and says when a class takes none', () => {
    expect(thrown(() => resolveOptions('SVD', { verbose: true }, SCHEMA)).message).toBe(
      'SVD: unknown option "verbose"; the options are factors, epochs, learningRate, baseline ' +
        '(or their aliases: n_factors, nFactors, n_epochs, lr_all, bsl).',
    );
    expect(thrown(() => resolveOptions('SlopeOne', { k: 1 }, { names: [] })).message).toBe(
      'SlopeOne: unknown option "k"; SlopeOne takes no options.',
    );
  });

  it('checks nested options with their dotted path', () => {
    expect(thrown(() => resolveOptions('KNN', { bsl: { methd: 'als' } }, SCHEMA)).message).toBe(
      'KNN: unknown option "baseline.methd"; did you mean "method"?',
    );
    expect(thrown(() => resolveOptions('KNN', { baseline: 3 }, SCHEMA)).message).toMatch(
      /option "baseline" must be an object of options, got 3/,
    );
  });

  it('refuses an alias and its canonical name (or two aliases) that disagree, and allows them to agree', () => {
    expect(thrown(() => resolveOptions('SVD', { nFactors: 5, factors: 10 }, SCHEMA)).message).toBe(
      'SVD: options "nFactors" and "factors" both set "factors" (5 and 10); pass only "factors".',
    );
    expect(() => resolveOptions('SVD', { n_factors: 5, nFactors: 6 }, SCHEMA)).toThrow(/both set "factors"/);
    expect(resolveOptions('SVD', { n_factors: 5, factors: 5 }, SCHEMA)).toEqual({ factors: 5 });
  });

  it('refuses a config that is not a plain object', () => {
    expect(() => resolveOptions('SVD', [1], SCHEMA)).toThrow(/the config must be an object of options/);
    expect(() => resolveOptions('SVD', 'fast', SCHEMA)).toThrow(ValueError);
  });
});

describe('closeMatches and optionLabel', () => {
  it('puts the closest first and keeps at most three', () => {
    const many: OptionSchema = { names: ['abc', 'abd', 'abe', 'abf', 'xyz'] };
    expect(closeMatches('abx', many)).toHaveLength(3);
    expect(closeMatches('abc', many)[0]).toBe('"abc"');
  });

  it('names what the user typed: the canonical name or the alias, dotted for nested options', () => {
    expect(optionLabel({ lr_all: 1 }, SCHEMA, 'learningRate')).toBe('lr_all');
    expect(optionLabel({ learningRate: 1 }, SCHEMA, 'learningRate')).toBe('learningRate');
    expect(optionLabel({}, SCHEMA, 'learningRate')).toBe('learningRate');
    expect(optionLabel({ bsl: { n_epochs: 1 } }, SCHEMA, 'baseline.epochs')).toBe('bsl.n_epochs');
    expect(optionLabel({ baseline: {} }, SCHEMA, 'baseline.method')).toBe('baseline.method');
  });
});
