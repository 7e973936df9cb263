import { describe, expect, it } from 'vitest';
import { type Figure, formatTable, goalText, isMet, limitOfFloor, toJson } from './figures.ts';

const ratioFigure: Figure = {
  figure: 'read p50: via proxy vs direct',
  measured: 3,
  baseline: 2,
  unit: 'ms',
  goal: { maxRatio: 1.2 },
  physicalLimit: 'a bare hop is already 1.40× direct',
};

describe('bench figures', () => {
  it('judges each kind of goal at its edge', () => {
    expect(isMet({ figure: 'a', measured: 3000, goal: { max: 3000 } })).toBe(true);
    expect(isMet({ figure: 'a', measured: 3001, goal: { max: 3000 } })).toBe(false);
    expect(isMet({ figure: 'a', measured: 50, goal: { min: 50 } })).toBe(true);
    expect(isMet({ figure: 'a', measured: 49.9, goal: { min: 50 } })).toBe(false);
    expect(isMet({ figure: 'a', measured: 12, baseline: 10, goal: { maxRatio: 1.2 } })).toBe(true);
    expect(isMet({ figure: 'a', measured: 12.1, baseline: 10, goal: { maxRatio: 1.2 } })).toBe(false);
    expect(isMet({ figure: 'a', measured: 80, baseline: 10, goal: { minRatio: 8 } })).toBe(true);
    expect(isMet({ figure: 'a', measured: 79, baseline: 10, goal: { minRatio: 8 } })).toBe(false);
    // A ratio goal without a baseline is never met.
    expect(isMet({ figure: 'a', measured: 1, goal: { maxRatio: 2 } })).toBe(false);
  });

  it('writes goals as people read them', () => {
    expect(goalText({ maxRatio: 1.3 })).toBe('≤ 1.3×');
    expect(goalText({ minRatio: 8 })).toBe('≥ 8×');
    expect(goalText({ max: 3000, unit: 'ms' })).toBe('≤ 3000 ms');
    expect(goalText({ min: 50, unit: 'results/s' })).toBe('≥ 50 results/s');
    expect(() => goalText({})).toThrow('a figure needs a goal');
  });

  it('gives one JSON object per figure with exactly the documented keys', () => {
    expect(toJson(ratioFigure)).toEqual({
      figure: 'read p50: via proxy vs direct (ms)',
      measured: 3,
      baseline: 2,
      ratio: 1.5,
      goal: '≤ 1.2×',
      met: false,
    });
    expect(toJson({ figure: 'restart', measured: 1234.5, unit: 'ms', goal: { max: 3000, unit: 'ms' } })).toEqual({
      figure: 'restart (ms)',
      measured: 1235,
      baseline: null,
      ratio: null,
      goal: '≤ 3000 ms',
      met: true,
    });
  });

  it('marks a missed goal, and says why when the limit is physical', () => {
    const missed: Figure = { figure: 'plain miss', measured: 5, goal: { max: 1 } };
    const { table } = formatTable([ratioFigure, missed], { title: 'run', machine: 'here' });
    const rows = table.split('\n').filter((row) => row.startsWith('| read') || row.startsWith('| plain'));
    expect(rows[0]).toContain('| no: physical limit (see below) |');
    expect(rows[1]).toMatch(/\| NO +\|$/);
    expect(table).toContain('- read p50: via proxy vs direct: a bare hop is already 1.40× direct.');
  });

  it('gives a physical reason only when the floor leaves under 0.1 ms and the figure meets its goal over the floor', () => {
    const reason = (headroom: string) => `${headroom} ms left`;
    // The figure against its floor, with its own goal of 1.1×: measured 2.5 ms, so met over a floor of 2.35 ms.
    const over = (floor: number, measured = 2.5) => ({
      figure: 'over',
      measured,
      baseline: floor,
      goal: { maxRatio: 1.1 },
    });
    // Goal 1.2× of 2 ms = 2.4 ms; a floor of 2.35 ms leaves 0.05 ms.
    expect(limitOfFloor({ max: 1.2, baseline: 2 }, over(2.35), reason)).toEqual({ physicalLimit: '0.050 ms left' });
    // A floor above the goal leaves nothing, not a negative headroom.
    expect(limitOfFloor({ max: 1.2, baseline: 2 }, over(2.6), reason)).toEqual({ physicalLimit: '0.000 ms left' });
    // Room enough under the goal: a miss is the code's, no reason.
    expect(limitOfFloor({ max: 1.2, baseline: 2 }, over(2.3), reason)).toEqual({});
    // The floor leaves no room, but the figure is slow over the floor too (2.6 > 1.1 × 2.35): still the code's.
    expect(limitOfFloor({ max: 1.2, baseline: 2 }, over(2.35, 2.6), reason)).toEqual({});
  });
});
