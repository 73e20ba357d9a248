import type { LabelledRun } from './configs.ts';
import type { SummaryRow } from './tables.ts';

/**
 * A system that answers one class for everything, or scores within the seeds' spread of chance,
 * must not read as a normal row: such rows are flagged with the reason.
 */
export interface CollapseWarning {
  system: string;
  kind: 'few-classes' | 'chance';
  text: string;
}

export function collapseWarnings(runs: LabelledRun[], summary: SummaryRow[], split: string): CollapseWarning[] {
  const out: CollapseWarning[] = [];
  for (const s of summary) {
    const rs = runs.filter((r) => r.label === s.label && r.confusion && r.confusion.split === split);
    if (!rs.length) continue;
    const k = rs[0].confusion!.classes.length;
    const narrow = rs.map((r) => {
      const cm = r.confusion!;
      const hit = cm.classes.filter((_, j) => cm.counts.some((row) => row[j] > 0));
      return { seed: r.seed, hit };
    }).filter((x) => x.hit.length <= 2);
    if (narrow.length) {
      const what = narrow.map((x) => `seed ${x.seed}: ${x.hit.length === 0 ? 'nothing' : x.hit.join(', ')}`).join('; ');
      out.push({ system: s.label, kind: 'few-classes', text: `${s.label}: its ${split} predictions hit at most two of the ${k} classes (${what})${narrow.some((x) => x.hit.length === 1) ? '; one class for everything is the majority-class baseline at best' : ''}.` });
    }
    const chance = 100 / k;
    const spread = s.ua_std ?? 0;
    if (s.ua_mean - chance <= spread) {
      out.push({ system: s.label, kind: 'chance', text: `${s.label}: UA ${s.ua_mean.toFixed(1)} is not above chance (${chance.toFixed(1)} = 1/${k}) by more than the seeds' spread (${s.ua_std === null ? 'one seed, no spread' : `sd ${spread.toFixed(1)}`}).` });
    }
  }
  return out;
}
