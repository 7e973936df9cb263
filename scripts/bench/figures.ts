/**
 * The figures of `pnpm bench`: each measured value with its goal, whether it was met, and — when a goal cannot be met
 * on this kind of machine for a reason outside the code — the measured reason.
 */
export interface Goal {
  /** The measured value itself must stay at or under / over this. */
  max?: number;
  min?: number;
  /** measured ÷ baseline must stay at or under / over this. */
  maxRatio?: number;
  minRatio?: number;
  unit?: string;
}

export interface Figure {
  figure: string;
  measured: number;
  baseline?: number;
  /** What the baseline is, when its number alone does not say (e.g. "a login per call"). */
  baselineLabel?: string;
  unit?: string;
  goal: Goal;
  /** Shown when the goal is missed: the measured reason it cannot be met here (a physical limit, not the code's). */
  physicalLimit?: string;
}

export interface FigureJson {
  figure: string;
  measured: number;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  met: boolean;
}

/** Less than this under a goal is no room for any work per request. */
const MIN_HEADROOM_MS = 0.1;

/**
 * The measured reason a ratio goal (`max` × `baseline`) is out of reach in this bench's set-up: a floor measured in
 * the same run (a bare forwarding hop; one round trip to Redis) that any implementation pays leaves under 0.1 ms of the
 * goal. `overFloor` is the same measurement against that floor (its baseline), with its own goal; the reason is given
 * only when that goal is met, so a regression of the code still reads NO.
 */
export function limitOfFloor(
  goal: { max: number; baseline: number },
  overFloor: Figure & { baseline: number },
  reason: (headroomMs: string) => string
): Pick<Figure, 'physicalLimit'> {
  const headroomMs = goal.max * goal.baseline - overFloor.baseline;
  if (headroomMs >= MIN_HEADROOM_MS || !isMet(overFloor)) return {};
  return { physicalLimit: reason(Math.max(0, headroomMs).toFixed(3)) };
}

export function ratioOf(figure: Figure): number | null {
  return figure.baseline ? figure.measured / figure.baseline : null;
}

export function goalText(goal: Goal): string {
  const unit = goal.unit ? ` ${goal.unit}` : '';
  if (goal.maxRatio !== undefined) return `≤ ${goal.maxRatio}×`;
  if (goal.minRatio !== undefined) return `≥ ${goal.minRatio}×`;
  if (goal.max !== undefined) return `≤ ${goal.max}${unit}`;
  if (goal.min !== undefined) return `≥ ${goal.min}${unit}`;
  throw new Error('a figure needs a goal');
}

export function isMet(figure: Figure): boolean {
  const { goal, measured } = figure;
  const ratio = ratioOf(figure);
  if (goal.maxRatio !== undefined) return ratio !== null && ratio <= goal.maxRatio;
  if (goal.minRatio !== undefined) return ratio !== null && ratio >= goal.minRatio;
  if (goal.max !== undefined) return measured <= goal.max;
  if (goal.min !== undefined) return measured >= goal.min;
  return false;
}

function number(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 100) return value.toFixed(0);
  return Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function toJson(figure: Figure): FigureJson {
  const ratio = ratioOf(figure);
  return {
    figure: figure.unit ? `${figure.figure} (${figure.unit})` : figure.figure,
    measured: Number(number(figure.measured)),
    baseline: figure.baseline === undefined ? null : Number(number(figure.baseline)),
    ratio: ratio === null ? null : Number(ratio.toFixed(2)),
    goal: goalText(figure.goal),
    met: isMet(figure),
  };
}

/** The run as a Markdown table (with the reason under any goal missed for a physical limit) and as JSON. */
export function formatTable(figures: Figure[], heading: { title: string; machine: string }) {
  const withUnit = (value: number, unit?: string) => `${number(value)}${unit ? ` ${unit}` : ''}`;
  const rows = figures.map((figure) => {
    const ratio = ratioOf(figure);
    const met = isMet(figure);
    return [
      figure.figure,
      withUnit(figure.measured, figure.unit),
      figure.baseline === undefined
        ? ''
        : `${withUnit(figure.baseline, figure.unit)}${figure.baselineLabel ? ` (${figure.baselineLabel})` : ''}`,
      ratio === null ? '' : `${ratio.toFixed(2)}×`,
      goalText(figure.goal),
      met ? 'yes' : figure.physicalLimit ? 'no: physical limit (see below)' : 'NO',
    ];
  });
  const header = ['figure', 'measured', 'baseline', 'ratio', 'goal', 'met'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const limits = figures.filter((figure) => !isMet(figure) && figure.physicalLimit);
  const table = [
    `# ${heading.title}`,
    '',
    `${heading.machine}; every figure measured in this one run, on this machine.`,
    '',
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...rows.map(line),
    '',
    ...limits.map((figure) => `- ${figure.figure}: ${figure.physicalLimit}.`),
    ...(limits.length ? [''] : []),
  ].join('\n');
  return { table, json: figures.map(toJson) };
}
