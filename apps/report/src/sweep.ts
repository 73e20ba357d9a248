import type { ReportRun } from './input.ts';

/**
 * A sweep chooses its point on validation; showing every point's test score invites choosing on
 * test. So the report lists each point's validation score, the chosen point's test score, and the
 * other points' test scores only when asked, marked as not used for the choice.
 */
export interface SweepOptions {
  /** The tag naming a run's point (the CLI tags `sweepPoint`). */
  tag: string;
  /** The point chosen on validation. */
  chosen: string;
  /** The system whose score chose the point, and the metric (ua, wa, f1, ...). */
  target: string;
  metric: string;
  /** Show every point's test score (marked "not used for the choice"); default: the chosen point's only. */
  showTestAll?: boolean;
  /** The grid's points in order (rows follow it); default: the order the runs come in. */
  points?: readonly string[];
}

export interface SweepPointRow {
  point: string;
  chosen: boolean;
  seeds: number;
  /** Percent, mean over seeds; null when the runs logged none. */
  valid: number | null;
  /** Percent; null when hidden or absent. */
  test: number | null;
  testShown: boolean;
}

const meanOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function sweepPoints(runs: ReportRun[], o: SweepOptions, units: 'fraction' | 'percent'): SweepPointRow[] {
  const k = units === 'fraction' ? 100 : 1;
  const target = runs.filter((r) => r.system === o.target);
  const logged = [...new Set(target.map((r) => r.tags[o.tag]).filter((p): p is string => p !== undefined))];
  // Runs of concurrent tasks come in any order; the grid's order does not change between reports.
  const points = o.points ? [...o.points.filter((p) => logged.includes(p)), ...logged.filter((p) => !o.points!.includes(p))] : logged;
  return points.map((point) => {
    const rs = target.filter((r) => r.tags[o.tag] === point);
    const chosen = point === o.chosen;
    const shown = chosen || !!o.showTestAll;
    const vals = (key: string) => rs.map((r) => r.metrics[key]).filter((v): v is number => typeof v === 'number').map((v) => v * k);
    return { point, chosen, seeds: new Set(rs.map((r) => r.seed)).size, valid: meanOf(vals(`valid_${o.metric}`)), test: shown ? meanOf(vals(`test_${o.metric}`)) : null, testShown: shown };
  });
}

export function sweepDisplayRows(rows: SweepPointRow[], o: SweepOptions): Record<string, string | number>[] {
  const m = o.metric.toUpperCase();
  return rows.map((r) => ({
    point: r.point,
    [`valid ${m} of ${o.target}`]: r.valid === null ? '–' : r.valid.toFixed(1),
    choice: r.chosen ? 'chosen on validation' : '',
    seeds: r.seeds,
    [`test ${m}`]: !r.testShown ? 'not shown' : r.test === null ? '–' : r.chosen ? r.test.toFixed(1) : `${r.test.toFixed(1)} (not used for the choice)`,
  }));
}

/** The runs the rest of the report shows: the chosen point's, or every point's with showTestAll. */
export function sweepRuns<R extends Pick<ReportRun, 'tags'>>(runs: R[], o: SweepOptions): R[] {
  return o.showTestAll ? runs : runs.filter((r) => r.tags[o.tag] === undefined || r.tags[o.tag] === o.chosen);
}
