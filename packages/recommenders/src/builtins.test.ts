import { describe, expect, it } from 'vitest';
import {
  UnknownPluginError,
  ValueError,
  getPlugin,
  hasPlugin,
  listPlugins,
  memoryIO,
  registerRecommender,
  unregisterPlugin,
  type ConfigDict,
} from '@plasticity/core';
// The whole public surface: importing it must register nothing.
import * as recommenders from './index.js';
import { RECOMMENDER_CLASSES, loadRecommender, registerBuiltinRecommenders } from './builtins.js';
import { Interactions } from './interactions.js';
import { Recommender } from './recommender.js';
import { BaselineOnly } from './explicit/baseline-only.js';
import { CoClustering } from './explicit/co-clustering.js';
import { KNNBaseline, KNNBasic } from './explicit/knn.js';
import { NMF } from './explicit/nmf.js';
import { SVD, SVDpp } from './explicit/svd.js';
import { SlopeOne } from './explicit/slope-one.js';
import { BPR } from './bpr.js';
import { ItemItem } from './item-item.js';
import { TwoTower } from './neural.js';
import { gridSearch } from './evaluation.js';

const registeredAtImport = listPlugins('recommender');

function ratings(): Interactions {
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < 12; u++) {
    for (let i = 0; i < 10; i++) {
      if ((u * 7 + i * 3) % 4 === 0) continue;
      users.push(u);
      items.push(i);
      values.push(1 + ((u + 2 * i) % 5));
    }
  }
  return Interactions.fromArrays({ users, items, values }, { ratingScale: [1, 5] });
}

/** The artifact of `model` with its config replaced by `config` (what an earlier release wrote). */
async function withConfig(model: Recommender, config: ConfigDict, url: string): Promise<Recommender> {
  const artifacts = model.toArtifacts();
  const topology = artifacts.modelTopology as { recommender: { className: string; config: ConfigDict } };
  topology.recommender.config = config;
  await memoryIO(url).save!(artifacts);
  return Recommender.load(memoryIO(url));
}

function scores(model: Recommender): number[] {
  return [0, 3, 7].flatMap((u) => Array.from(model.scoreAll(u)));
}

describe('registerBuiltinRecommenders', () => {
  it('importing the package registers nothing; the call registers every built-in, idempotently', () => {
    expect(registeredAtImport).toEqual([]);
    registerBuiltinRecommenders();
    registerBuiltinRecommenders();
    const names = RECOMMENDER_CLASSES.map((c) => c.className).sort();
    expect(listPlugins('recommender')).toEqual(names);
    expect(names).toHaveLength(21);
    for (const cls of RECOMMENDER_CLASSES) expect(getPlugin('recommender', cls.className)).toBe(cls);
  });

  it('lists every exported recommender class', () => {
    const exported = Object.values(recommenders).filter(
      (v): v is typeof Recommender => typeof v === 'function' && v.prototype instanceof Recommender,
    );
    expect(new Set(RECOMMENDER_CLASSES)).toEqual(new Set(exported));
  });

  it('leaves a name the user registered on purpose alone', () => {
    registerBuiltinRecommenders();
    class MySVD extends SVD {
      static override className = 'SVD';
    }
    registerRecommender(MySVD, { override: true });
    try {
      registerBuiltinRecommenders();
      expect(getPlugin('recommender', 'SVD')).toBe(MySVD);
    } finally {
      registerRecommender(SVD, { override: true });
    }
  });

  it('load of an unregistered class names the class and the call that registers it', async () => {
    registerBuiltinRecommenders();
    const model = await new SVD({ factors: 2, epochs: 1 }).fit(ratings());
    unregisterPlugin('recommender', 'SVD');
    try {
      await model.save(memoryIO('unregistered-svd')); // saving needs no registry
      const attempt = Recommender.load(memoryIO('unregistered-svd'));
      await expect(attempt).rejects.toThrow(UnknownPluginError);
      await expect(Recommender.load(memoryIO('unregistered-svd'))).rejects.toThrow(
        /Recommender\.load\(.*\): recommender "SVD" is not registered.*registerBuiltinRecommenders\(\).*registerRecommender\(SVD\)/,
      );
      const again = await loadRecommender<SVD>(memoryIO('unregistered-svd')); // registers, then loads
      expect(again).toBeInstanceOf(SVD);
      expect(hasPlugin('recommender', 'SVD')).toBe(true);
    } finally {
      registerBuiltinRecommenders();
    }
  });
});

describe('one option vocabulary', () => {
  it('takes Surprise names and earlier camelCase names as aliases and reports canonical names', () => {
    const snake = new SVD({ n_factors: 5, n_epochs: 3, lr_all: 0.01, reg_all: 0.1, random_state: 2 });
    const camel = new SVD({ nFactors: 5, nEpochs: 3, lrAll: 0.01, regAll: 0.1, seed: 2 });
    const canonical = new SVD({ factors: 5, epochs: 3, learningRate: 0.01, regularization: 0.1, seed: 2 });
    const expected = { factors: 5, epochs: 3, learningRate: 0.01, regularization: 0.1, seed: 2 };
    for (const m of [snake, camel, canonical]) expect(m.getConfig()).toEqual(expected);
    expect(snake.factors).toBe(5);
    expect(
      new KNNBaseline({ k: 7, min_k: 2, sim_options: { user_based: false }, bsl_options: { reg_u: 3 } }).getConfig(),
    ).toMatchObject({
      neighbours: 7,
      minNeighbours: 2,
      similarity: { userBased: false },
      baseline: { regularizationUser: 3 },
    });
    expect(new CoClustering({ n_cltr_u: 2, nCltrI: 4 }).getConfig()).toMatchObject({
      userClusters: 2,
      itemClusters: 4,
    });
    expect(new BPR({ iterations: 12, learning_rate: 0.1 }).getConfig()).toMatchObject({
      epochs: 12,
      learningRate: 0.1,
    });
    expect(new ItemItem({ K: 9 }).getConfig()).toMatchObject({ neighbours: 9 });
    expect(new TwoTower({ dim: 4 }).getConfig()).toMatchObject({ factors: 4 });
    expect(new SVDpp({ lr_yj: 0.2 }).lrYj).toBe(0.2);
  });

  it('refuses an unknown option with the class and the close matches, for every built-in', () => {
    expect(() => new SVD({ nFactorz: 5 } as never)).toThrow(ValueError);
    expect(() => new SVD({ nFactorz: 5 } as never)).toThrow(
      'SVD: unknown option "nFactorz"; did you mean "factors" (alias nFactors)?',
    );
    expect(() => new KNNBasic({ sim: { user_base: true } } as never)).toThrow(
      'KNNBasic: unknown option "similarity.user_base"; did you mean "userBased" (alias user_based)?',
    );
    expect(() => new SlopeOne({ k: 1 } as never)).toThrow(/SlopeOne takes no options/);
    for (const cls of RECOMMENDER_CLASSES) {
      const Ctor = cls as unknown as new (config: object) => Recommender;
      expect(() => new Ctor({ notAnOption: 1 }), cls.className).toThrow(
        new RegExp(`^${cls.className}: unknown option "notAnOption"`),
      );
    }
  });

  it('keeps the instance properties of earlier releases readable', () => {
    expect(new SVD({ factors: 3, epochs: 2 })).toMatchObject({ nFactors: 3, nEpochs: 2, factors: 3, epochs: 2 });
    expect(new NMF({ factors: 4 })).toMatchObject({ nFactors: 4, factors: 4 });
    expect(new KNNBasic({ neighbours: 7, minNeighbours: 2 })).toMatchObject({ k: 7, minK: 2, neighbours: 7 });
    expect(new KNNBasic({ similarity: { name: 'cosine' } }).sim.name).toBe('cosine');
    expect(new CoClustering({ userClusters: 2, itemClusters: 5, epochs: 3 })).toMatchObject({
      nCltrU: 2,
      nCltrI: 5,
      nEpochs: 3,
    });
    expect(new TwoTower({ factors: 4 }).dim).toBe(4);
  });

  it('refuses an alias that disagrees with its canonical name', () => {
    expect(() => new SVD({ nFactors: 5, factors: 6 })).toThrow(/options "nFactors" and "factors" both set "factors"/);
  });

  it('names the alias the user typed when its value is bad', () => {
    expect(() => new SVD({ lr_all: -1 })).toThrow(/SVD: lr_all must be a finite number/);
    expect(() => new BaselineOnly({ bsl_options: { n_epochs: -1 } })).toThrow(
      /bsl_options\.n_epochs must be an integer/,
    );
  });

  it('rebuilds every built-in from its own getConfig (a TwoTower without hidden layers included)', () => {
    for (const cls of RECOMMENDER_CLASSES) {
      if (cls.className === 'Blend') continue; // needs models: covered by the Blend tests
      const Ctor = cls as unknown as new (config?: object) => Recommender;
      const config = new Ctor().getConfig();
      expect(new Ctor(config).getConfig(), cls.className).toEqual(config);
    }
  });

  it('gridSearch refuses a misspelt option before anything trains', async () => {
    await expect(gridSearch(BaselineOnly, { nFactorz: [1, 2] }, ratings(), { folds: 2 })).rejects.toThrow(
      /BaselineOnly: unknown option "nFactorz"/,
    );
    await expect(gridSearch(SVD, { nFactorz: [1, 2] }, ratings(), { folds: 2 })).rejects.toThrow(
      'SVD: unknown option "nFactorz"; did you mean "factors" (alias nFactors)?',
    );
  });
});

describe('artifacts saved with the option names of earlier releases', () => {
  registerBuiltinRecommenders();
  const data = ratings();

  it('SVD { nFactors, nEpochs, lrAll } loads with the same scores and canonical names', async () => {
    const model = await new SVD({ factors: 3, epochs: 4, learningRate: 0.01, seed: 2 }).fit(data);
    const loaded = await withConfig(model, { nFactors: 3, nEpochs: 4, lrAll: 0.01, seed: 2 }, 'old-svd');
    expect(loaded).toBeInstanceOf(SVD);
    expect(loaded.getConfig()).toEqual(model.getConfig());
    expect(scores(loaded)).toEqual(scores(model));
  });

  it('KNNBaseline { k, minK, sim, bsl } loads with the same scores', async () => {
    const model = await new KNNBaseline({ neighbours: 5, similarity: { name: 'pearson_baseline' } }).fit(data);
    const old = {
      k: 5,
      minK: 1,
      sim: { name: 'pearson_baseline', userBased: true, minSupport: 1, shrinkage: 100 },
      bsl: { method: 'als', nEpochs: 10, regI: 10, regU: 15, reg: 0.02, learningRate: 0.005 },
    };
    const loaded = await withConfig(model, old, 'old-knn');
    expect(loaded.getConfig()).toEqual(model.getConfig());
    expect(scores(loaded)).toEqual(scores(model));
  });

  it('NMF, CoClustering and BaselineOnly configs of earlier releases load', async () => {
    const nmf = await new NMF({ factors: 2, epochs: 3, seed: 1 }).fit(data);
    const oldNmf = {
      nFactors: 2,
      nEpochs: 3,
      biased: false,
      regPu: 0.06,
      regQi: 0.06,
      regBu: 0.02,
      regBi: 0.02,
      lrBu: 0.005,
      lrBi: 0.005,
      initLow: 0,
      initHigh: 1,
      seed: 1,
    };
    expect((await withConfig(nmf, oldNmf, 'old-nmf')).getConfig()).toEqual(nmf.getConfig());
    const co = await new CoClustering({ userClusters: 2, itemClusters: 2, seed: 1 }).fit(data);
    const loadedCo = await withConfig(co, { nCltrU: 2, nCltrI: 2, nEpochs: 20, seed: 1 }, 'old-co');
    expect(loadedCo.getConfig()).toEqual(co.getConfig());
    expect(scores(loadedCo)).toEqual(scores(co));
    const base = await new BaselineOnly({ baseline: { method: 'sgd' } }).fit(data);
    const oldBase = { bsl: { method: 'sgd', nEpochs: 20, regI: 10, regU: 15, reg: 0.02, learningRate: 0.005 } };
    const loadedBase = await withConfig(base, oldBase, 'old-baseline');
    expect(loadedBase.getConfig()).toEqual(base.getConfig());
    expect(scores(loadedBase)).toEqual(scores(base));
  });
});
