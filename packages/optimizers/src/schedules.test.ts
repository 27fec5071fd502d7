import { ValueError, deserializePlugin, serializePlugin } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import {
  ConstantSchedule,
  CosineDecay,
  CosineDecayRestarts,
  ExponentialDecay,
  InverseTimeDecay,
  LinearWarmup,
  OneCycle,
  PiecewiseConstant,
  PlateauTracker,
  PolynomialDecay,
  StepDecay,
  registerBuiltinSchedules,
  type LearningRateSchedule,
} from './schedules.js';

const steps = [0, 1, 2, 3, 5, 9, 10, 11, 25, 50, 99, 100, 101, 250, 1000];

function expectSchedule(schedule: LearningRateSchedule, closedForm: (t: number) => number, at = steps): void {
  for (const t of at) expect(schedule.valueAt(t), `step ${t}`).toBeCloseTo(closedForm(t), 12);
}

describe('schedules match their closed forms', () => {
  it('constant', () => expectSchedule(new ConstantSchedule({ value: 0.3 }), () => 0.3));

  it('piecewise constant (Keras boundaries are inclusive on the left interval)', () => {
    const s = new PiecewiseConstant({ boundaries: [10, 100], values: [1, 0.5, 0.1] });
    expectSchedule(s, (t) => (t <= 10 ? 1 : t <= 100 ? 0.5 : 0.1));
  });

  it('step decay', () => {
    expectSchedule(
      new StepDecay({ initialLearningRate: 0.1, stepSize: 10, gamma: 0.5 }),
      (t) => 0.1 * 0.5 ** Math.floor(t / 10),
    );
  });

  it('exponential decay, smooth and staircase', () => {
    expectSchedule(
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96 }),
      (t) => 0.1 * 0.96 ** (t / 100),
    );
    expectSchedule(
      new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true }),
      (t) => 0.1 * 0.96 ** Math.floor(t / 100),
    );
  });

  it('inverse time decay', () => {
    expectSchedule(
      new InverseTimeDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 }),
      (t) => 0.1 / (1 + 0.5 * (t / 10)),
    );
  });

  it('polynomial decay, clamped and cycling', () => {
    expectSchedule(
      new PolynomialDecay({ initialLearningRate: 1, decaySteps: 100, endLearningRate: 0.01, power: 2 }),
      (t) => 0.99 * (1 - Math.min(t, 100) / 100) ** 2 + 0.01,
    );
    const cyc = new PolynomialDecay({
      initialLearningRate: 1,
      decaySteps: 100,
      endLearningRate: 0,
      power: 1,
      cycle: true,
    });
    expect(cyc.valueAt(0)).toBeCloseTo(1, 12);
    expect(cyc.valueAt(50)).toBeCloseTo(0.5, 12);
    expect(cyc.valueAt(150)).toBeCloseTo(1 - 150 / 200, 12); // decaySteps grows to 200
  });

  it('cosine decay with a floor', () => {
    expectSchedule(
      new CosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 }),
      (t) => 0.2 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 100)) / 100)) + 0.1),
    );
  });

  it('cosine decay with restarts (SGDR): periods 10, 20, 40 with mMul 0.5', () => {
    const s = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 2, mMul: 0.5 });
    const expected = (t: number): number => {
      const [start, length, height] = t < 10 ? [0, 10, 1] : t < 30 ? [10, 20, 0.5] : [30, 40, 0.25];
      return height * 0.5 * (1 + Math.cos((Math.PI * (t - start)) / length));
    };
    expectSchedule(s, expected, [0, 1, 5, 9, 10, 15, 29, 30, 50, 69]);
    const flat = new CosineDecayRestarts({ initialLearningRate: 1, firstDecaySteps: 10, tMul: 1 });
    expect(flat.valueAt(13)).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 3) / 10)), 12);
  });

  it('linear warm-up then the inner schedule, shifted', () => {
    const inner = new CosineDecay({ initialLearningRate: 1, decaySteps: 100 });
    const s = new LinearWarmup({ schedule: inner, warmupSteps: 10, startLearningRate: 0.1 });
    expectSchedule(s, (t) => (t < 10 ? 0.1 + (0.9 * t) / 10 : inner.valueAt(t - 10)));
  });

  it("one-cycle matches PyTorch OneCycleLR's phases", () => {
    const s = new OneCycle({ maxLearningRate: 1, totalSteps: 100, pctStart: 0.25, divFactor: 10, finalDivFactor: 100 });
    const cosine = (from: number, to: number, pct: number): number =>
      to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1);
    expectSchedule(
      s,
      (t) => (t <= 24 ? cosine(0.1, 1, t / 24) : cosine(1, 0.001, (t - 24) / (99 - 24))),
      [0, 1, 12, 24, 25, 50, 99],
    );
    const three = new OneCycle({
      maxLearningRate: 1,
      totalSteps: 100,
      pctStart: 0.25,
      anneal: 'linear',
      threePhase: true,
    });
    expect(three.valueAt(24)).toBeCloseTo(1, 12);
    expect(three.valueAt(48)).toBeCloseTo(0.04, 12);
    expect(three.valueAt(99)).toBeCloseTo(0.04 / 1e4, 12);
  });
});

describe('schedules are serializable plugins', () => {
  it('round-trip nested schedules through the registry', () => {
    registerBuiltinSchedules();
    const s = new LinearWarmup({
      schedule: new ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.5 }),
      warmupSteps: 3,
    });
    const copy = deserializePlugin<LearningRateSchedule>(
      'schedule',
      JSON.parse(JSON.stringify(serializePlugin('schedule', s))),
    );
    for (const t of [0, 2, 3, 10]) expect(copy.valueAt(t)).toBe(s.valueAt(t));
  });
});

describe('schedule validation', () => {
  it('names the field and the value', () => {
    expect(() => new ExponentialDecay({ initialLearningRate: -1, decaySteps: 1, decayRate: 0.5 })).toThrow(
      /ExponentialDecay: initialLearningRate must be >= 0; got -1/,
    );
    expect(() => new CosineDecay({ initialLearningRate: 1, decaySteps: 0 })).toThrow(/decaySteps must be > 0; got 0/);
    expect(() => new PiecewiseConstant({ boundaries: [5, 3], values: [1, 2, 3] })).toThrow(/boundaries must increase/);
    expect(() => new PiecewiseConstant({ boundaries: [5], values: [1] })).toThrow(/one more entry than boundaries/);
    expect(() => new OneCycle({ maxLearningRate: 1, totalSteps: 10, anneal: 'cubic' as never })).toThrow(ValueError);
    expect(() => new LinearWarmup({ schedule: 0.1, warmupSteps: 0 })).toThrow(/warmupSteps must be a positive integer/);
  });
});

describe('PlateauTracker (ReduceLROnPlateau logic)', () => {
  it('reduces after patience epochs without improvement, then cools down', () => {
    const p = new PlateauTracker({ patience: 2, factor: 0.5, cooldown: 1, minLearningRate: 0.1 });
    const metrics = [1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
    let lr = 1;
    const history = metrics.map((m) => (lr = p.update(m, lr)));
    // improvement at epochs 0-1; bad epochs 2,3,4 -> reduce at 4; cooldown at 5; bad 6,7,8 -> reduce at 8
    expect(history).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
    let low = 0.15;
    const floor = new PlateauTracker({ patience: 0, factor: 0.5, minLearningRate: 0.1 });
    floor.update(1, low);
    low = floor.update(1, low);
    expect(low).toBe(0.1);
  });

  it("uses PyTorch's relative threshold in max mode", () => {
    const p = new PlateauTracker({ mode: 'max', patience: 0, threshold: 0.1 });
    expect(p.update(1, 1)).toBe(1); // first value always improves
    expect(p.update(1.05, 1)).toBeCloseTo(0.1, 12); // not > 1 * 1.1: a bad epoch, patience 0 -> reduce
  });
});
