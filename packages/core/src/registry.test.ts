import { afterEach, describe, expect, it } from 'vitest';
import { DuplicatePluginError, PlasticityError, UnknownPluginError, ValueError } from './errors.js';
import {
  deserializePlugin,
  getPlugin,
  hasPlugin,
  listPlugins,
  registerLayer,
  registerPlugin,
  serializePlugin,
  unregisterPlugin,
  type ConfigDict,
} from './registry.js';

class Scale {
  static readonly className = 'Test>Scale';
  readonly factor: number;
  constructor(config: { factor?: number } = {}) {
    this.factor = config.factor ?? 1;
  }
  getConfig(): ConfigDict {
    return { factor: this.factor };
  }
}

class FromConfigOnly {
  static readonly className = 'Test>FromConfigOnly';
  static built = 0;
  private constructor(readonly units: number) {}
  static fromConfig(config: ConfigDict): FromConfigOnly {
    FromConfigOnly.built++;
    return new FromConfigOnly(config['units'] as number);
  }
  getConfig(): ConfigDict {
    return { units: this.units };
  }
}

afterEach(() => {
  unregisterPlugin('layer', Scale.className);
  unregisterPlugin('layer', FromConfigOnly.className);
  unregisterPlugin('optimizer', Scale.className);
});

describe('plugin registry', () => {
  it('round-trips a user class through {className, config}', () => {
    registerLayer(Scale);
    const saved = serializePlugin('layer', new Scale({ factor: 3 }));
    expect(saved).toEqual({ className: 'Test>Scale', config: { factor: 3 } });
    const copy = deserializePlugin<Scale>('layer', JSON.parse(JSON.stringify(saved)));
    expect(copy).toBeInstanceOf(Scale);
    expect(copy.factor).toBe(3);
  });

  it('uses a static fromConfig when the class has one', () => {
    registerPlugin('layer', FromConfigOnly); // a private constructor: registers through fromConfig
    const copy = deserializePlugin<FromConfigOnly>('layer', {
      className: FromConfigOnly.className,
      config: { units: 4 },
    });
    expect(copy.units).toBe(4);
    expect(FromConfigOnly.built).toBe(1);
  });

  it('registers a list of different classes without a cast', () => {
    // The class type is inferred per class, so a mixed list (as the built-in barrels keep) type-checks.
    const classes = [Scale, FromConfigOnly] as const;
    for (const cls of classes) expect(registerLayer(cls)).toBe(cls);
    expect(getPlugin('layer', FromConfigOnly.className)).toBe(FromConfigOnly);
    expect(getPlugin('layer', Scale.className)).toBe(Scale);
  });

  it('keeps kinds apart', () => {
    registerLayer(Scale);
    expect(hasPlugin('layer', 'Test>Scale')).toBe(true);
    expect(hasPlugin('optimizer', 'Test>Scale')).toBe(false);
    expect(listPlugins('layer')).toContain('Test>Scale');
  });

  it('rejects a duplicate name with the kind, the name and the fix', () => {
    registerLayer(Scale);
    registerLayer(Scale); // the same class again is a no-op
    class Other {
      static readonly className = 'Test>Scale';
      getConfig(): ConfigDict {
        return {};
      }
    }
    const attempt = (): unknown => registerLayer(Other);
    expect(attempt).toThrow(DuplicatePluginError);
    expect(attempt).toThrow(
      /layer named "Test>Scale" is already registered.*registerLayer\(Other, \{ override: true \}\)/,
    );
    registerLayer(Other, { override: true });
    expect(getPlugin('layer', 'Test>Scale')).toBe(Other);
  });

  it('names the kind, the name, what exists and the register call for an unknown class', () => {
    registerLayer(Scale);
    let error: unknown;
    try {
      deserializePlugin('layer', { className: 'MyDense', config: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownPluginError);
    expect(error).toBeInstanceOf(PlasticityError);
    const e = error as UnknownPluginError;
    expect(e.code).toBe('E_UNKNOWN_PLUGIN');
    expect(e.kind).toBe('layer');
    expect(e.pluginName).toBe('MyDense');
    expect(e.message).toMatch(/Unknown layer "MyDense"/);
    expect(e.message).toMatch(/Test>Scale/);
    expect(e.message).toMatch(/registerLayer\(MyDense\)/);
  });

  it('refuses classes without a className and unknown kinds', () => {
    class NoName {
      getConfig(): ConfigDict {
        return {};
      }
    }
    // @ts-expect-error: the types refuse a class without a static className, and so does the runtime.
    expect(() => registerLayer(NoName)).toThrow(ValueError);
    expect(() => registerPlugin('widget' as never, Scale)).toThrow(/Unknown plugin kind "widget"/);
    expect(() => deserializePlugin('layer', null as never)).toThrow(ValueError);
  });

  it('refuses to serialize an instance whose name is registered to another class', () => {
    registerLayer(Scale);
    class Impostor extends Scale {}
    expect(() => serializePlugin('layer', new Impostor())).toThrow(/registered to class Scale, not Impostor/);
  });

  it('is shared across module copies through globalThis', () => {
    registerLayer(Scale);
    const stores = Object.getOwnPropertySymbols(globalThis).filter(
      (s) => s.description === '@plasticity/core/registry',
    );
    expect(stores).toHaveLength(1);
  });
});
