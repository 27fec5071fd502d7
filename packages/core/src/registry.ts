/**
 * The plugin registry: serializable classes by kind and `className`.
 *
 * Built-in and user classes register through the same calls and are serialized to
 * `{ className, config }`. The registry lives on `globalThis` under a `Symbol.for` key, so that two
 * copies of `@plasticity/core` in one application still share it.
 *
 * @example
 * ```ts
 * class Swish {
 *   static readonly className = 'MyApp>Swish';
 *   constructor(readonly config: { beta: number }) {}
 *   getConfig() { return { ...this.config }; }
 * }
 * registerPlugin('layer', Swish);
 * const saved = serializePlugin('layer', new Swish({ beta: 1 })); // { className: 'MyApp>Swish', config: { beta: 1 } }
 * const copy = deserializePlugin('layer', saved);                 // a new Swish
 * ```
 */
import { DuplicatePluginError, UnknownPluginError, ValueError, describeValue } from './errors.js';

/** The kinds of serializable plugin. */
export const PLUGIN_KINDS = [
  'layer',
  'optimizer',
  'schedule',
  'loss',
  'metric',
  'initializer',
  'regularizer',
  'constraint',
  'callback',
  'recommender',
] as const;

/**
 * A kind of serializable plugin: `'layer'`, `'optimizer'`, `'schedule'`, `'loss'`, `'metric'`, `'initializer'`, `'regularizer'`, `'constraint'`, `'callback'`, `'recommender'`.
 */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** A JSON-compatible configuration value. */
export type ConfigValue =
  string | number | boolean | null | readonly ConfigValue[] | { readonly [key: string]: ConfigValue | undefined };

/** The configuration of a serializable object: plain JSON. */
export type ConfigDict = { [key: string]: ConfigValue | undefined };

/** What a serialized plugin looks like inside an artifact. */
export interface SerializedPlugin {
  /** The registered class name. */
  className: string;
  /** The instance's `getConfig()`. */
  config: ConfigDict;
}

/** An instance that can describe itself as a config. */
export interface Serializable {
  /** The JSON-safe options that rebuild this instance (through its constructor or `fromConfig`). */
  getConfig(): ConfigDict;
}

/** What every registrable class carries: its serialized name and its JavaScript name. */
interface ClassIdentity {
  /** The stable name written into artifacts (`'Dense'`, `'MyApp>Swish'`). Public API once saved. */
  readonly className: string;
  /** The JavaScript class name, used in error messages. */
  readonly name: string;
}

/**
 * A class the registry can hold, built-in or a user's: a static `className` and either a static
 * `fromConfig(config)` or a constructor taking the config as its first argument (`fromConfig` wins
 * when both exist). `T` is the instance type; it is inferred from the class, so a union of
 * built-in classes (`for (const cls of LAYER_CLASSES) registerLayer(cls)`) registers without a
 * cast, and a class with a private constructor registers through its `fromConfig`.
 *
 * @example
 * ```ts
 * class Swish {
 *   static readonly className = 'MyApp>Swish';
 *   constructor(readonly config: { beta: number }) {}
 *   getConfig() { return { ...this.config }; }
 * }
 * const cls: SerializableClass<Swish> = Swish;
 * ```
 */
export type SerializableClass<T extends Serializable = Serializable> =
  | (ClassIdentity & {
      /** Builds an instance from the config that its `getConfig()` wrote. */
      fromConfig(config: ConfigDict): T;
    })
  | (ClassIdentity & {
      /** Builds an instance from the config that its `getConfig()` wrote (wins over the constructor). */
      fromConfig?(config: ConfigDict): T;
      /** Builds an instance from the config as the first argument, when there is no `fromConfig`. */
      new (...args: never[]): T;
    });

/** The older name of {@link SerializableClass}; the same type. */
export type PluginClass<T extends Serializable = Serializable> = SerializableClass<T>;

/** Options of `registerPlugin` and the `register…` helpers. */
export interface RegisterOptions {
  /**
   * Replace an existing registration of the same name instead of throwing. Use it for hot reload
   * or to swap a built-in on purpose.
   */
  override?: boolean;
}

type RegistryStore = Map<PluginKind, Map<string, SerializableClass>>;

const STORE_KEY = Symbol.for('@plasticity/core/registry');

function store(): RegistryStore {
  const holder = globalThis as unknown as Record<symbol, RegistryStore | undefined>;
  let existing = holder[STORE_KEY];
  if (existing === undefined) {
    existing = new Map();
    holder[STORE_KEY] = existing;
  }
  return existing;
}

function kindMap(kind: PluginKind): Map<string, SerializableClass> {
  if (!(PLUGIN_KINDS as readonly string[]).includes(kind)) {
    throw new ValueError(`Unknown plugin kind ${describeValue(kind)}; use one of ${PLUGIN_KINDS.join(', ')}.`, {
      field: 'kind',
      value: kind,
    });
  }
  const all = store();
  let map = all.get(kind);
  if (map === undefined) {
    map = new Map();
    all.set(kind, map);
  }
  return map;
}

const registerCall: Record<PluginKind, string> = {
  layer: 'registerLayer',
  optimizer: 'registerOptimizer',
  schedule: 'registerSchedule',
  loss: 'registerLoss',
  metric: 'registerMetric',
  initializer: 'registerInitializer',
  regularizer: 'registerRegularizer',
  constraint: 'registerConstraint',
  callback: 'registerCallback',
  recommender: 'registerRecommender',
};

/**
 * Registers `cls` under `kind` and its static `className`.
 *
 * @throws DuplicatePluginError if another class already holds the name (pass `{ override: true }`).
 * @throws ValueError if the class has no non-empty static `className`.
 */
export function registerPlugin<C extends SerializableClass>(
  kind: PluginKind,
  cls: C,
  options: RegisterOptions = {},
): C {
  const map = kindMap(kind);
  const name: unknown = (cls as { className?: unknown }).className;
  if (typeof name !== 'string' || name.length === 0) {
    throw new ValueError(
      `Cannot register ${kind} class ${cls.name || '(anonymous)'}: it needs a static className ` +
        `string, e.g. \`static readonly className = '${cls.name || 'MyClass'}'\`.`,
      { field: 'className', value: name },
    );
  }
  const existing = map.get(name);
  if (existing !== undefined && existing !== cls && options.override !== true) {
    throw new DuplicatePluginError(
      kind,
      name,
      `A ${kind} named "${name}" is already registered (class ${existing.name}). Give ` +
        `${cls.name} a different static className, or call ${registerCall[kind]}(${cls.name}, ` +
        `{ override: true }) to replace it.`,
    );
  }
  map.set(name, cls);
  return cls;
}

/** Removes a registration; returns whether one existed. */
export function unregisterPlugin(kind: PluginKind, className: string): boolean {
  return kindMap(kind).delete(className);
}

/** Whether a class is registered under `kind` and `className`. */
export function hasPlugin(kind: PluginKind, className: string): boolean {
  return kindMap(kind).has(className);
}

/**
 * Looks a class up by kind and name.
 *
 * @throws UnknownPluginError naming the kind, the name, the names that are registered and the
 *   call that fixes it.
 */
export function getPlugin<T extends Serializable = Serializable>(
  kind: PluginKind,
  className: string,
): SerializableClass<T> {
  const cls = kindMap(kind).get(className);
  if (cls === undefined) {
    const known = [...kindMap(kind).keys()].sort();
    const shown = known.length === 0 ? 'none' : known.slice(0, 20).join(', ');
    throw new UnknownPluginError(
      kind,
      className,
      `Unknown ${kind} "${className}". Registered ${kind}s: ${shown}. If "${className}" is your ` +
        `own class, call ${registerCall[kind]}(${className.replace(/[^A-Za-z0-9_$]/g, '_')}) ` +
        `before loading; if it comes from a package, import that package's register entry.`,
    );
  }
  return cls as SerializableClass<T>;
}

/** The class names registered under `kind`, sorted. */
export function listPlugins(kind: PluginKind): string[] {
  return [...kindMap(kind).keys()].sort();
}

/**
 * Serializes a registered instance to `{ className, config }`.
 *
 * @throws UnknownPluginError if the instance's class is not the one registered under its name.
 */
export function serializePlugin(kind: PluginKind, instance: Serializable): SerializedPlugin {
  const cls = instance.constructor as SerializableClass;
  const registered = getPlugin(kind, cls.className);
  if (registered !== cls) {
    throw new UnknownPluginError(
      kind,
      cls.className,
      `${kind} "${cls.className}" is registered to class ${registered.name}, not ${cls.name}; ` +
        `an instance of ${cls.name} would load back as the wrong class. Register ${cls.name} ` +
        `under its own className.`,
    );
  }
  return { className: cls.className, config: structuredClone(instance.getConfig()) };
}

/**
 * Builds an instance from `{ className, config }` through the registered class.
 *
 * @throws UnknownPluginError if the class is not registered.
 * @throws ValueError if `serialized` is not an object with a string `className`.
 */
export function deserializePlugin<T extends Serializable = Serializable>(
  kind: PluginKind,
  serialized: SerializedPlugin,
): T {
  if (
    serialized === null ||
    typeof serialized !== 'object' ||
    typeof (serialized as { className?: unknown }).className !== 'string'
  ) {
    throw new ValueError(
      `Cannot deserialize a ${kind} from ${describeValue(serialized)}: expected ` +
        `{ className: string, config: object }.`,
      { field: 'className', value: serialized },
    );
  }
  const cls = getPlugin<T>(kind, serialized.className);
  const config = structuredClone(serialized.config ?? {});
  if (typeof cls.fromConfig === 'function') return cls.fromConfig(config);
  const Ctor = cls as unknown as new (config: ConfigDict) => T;
  return new Ctor(config);
}

/** `registerLayer`, `registerOptimizer`, …: registers a class under one kind and returns it. */
export type KindRegistrar = <C extends SerializableClass>(cls: C, options?: RegisterOptions) => C;

function registrarFor(kind: PluginKind): KindRegistrar {
  return (cls, options) => registerPlugin(kind, cls, options);
}

/** Registers a layer class (`registerPlugin('layer', cls)`). */
export const registerLayer: KindRegistrar = registrarFor('layer');
/** Registers an optimizer class. */
export const registerOptimizer: KindRegistrar = registrarFor('optimizer');
/** Registers a learning-rate schedule class. */
export const registerSchedule: KindRegistrar = registrarFor('schedule');
/** Registers a loss class. */
export const registerLoss: KindRegistrar = registrarFor('loss');
/** Registers a metric class. */
export const registerMetric: KindRegistrar = registrarFor('metric');
/** Registers an initializer class. */
export const registerInitializer: KindRegistrar = registrarFor('initializer');
/** Registers a regularizer class. */
export const registerRegularizer: KindRegistrar = registrarFor('regularizer');
/** Registers a weight-constraint class. */
export const registerConstraint: KindRegistrar = registrarFor('constraint');
/** Registers a training-callback class. */
export const registerCallback: KindRegistrar = registrarFor('callback');
/** Registers a recommender algorithm class. */
export const registerRecommender: KindRegistrar = registrarFor('recommender');
