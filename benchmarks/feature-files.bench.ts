// Reading a researcher's own feature file. Run: node --import tsx benchmarks/feature-files.bench.ts
// Issue goal: a 100k-row x 1024-column float32 file, read with all its checks, in under 10 s and
// 1.5 GB peak RSS. The venv's numpy/pyarrow write the file (random normal float32, ids u0000000..)
// as .npy (+ ids.txt), Parquet (pyarrow, snappy, like pandas' to_parquet) and CSV (pyarrow's
// write_csv: shortest float32 text, ids quoted); each is read by readFeatureFile in a fresh
// process (REPEATS=3 runs, median) that reports the read's wall time, CPU time and peak RSS
// (process.resourceUsage().maxRSS, the whole process's, node and tsx included).
// ROWS=n / DIM=n / FORMATS=npy,parquet,csv change the size and the formats; KEEP=dir keeps (and reuses) the files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..');
const python = process.env.EMOFUSE_PYTHON ?? path.join(repoRoot, '.venv/bin/python');
const ROWS = Number(process.env.ROWS ?? 100_000);
const DIM = Number(process.env.DIM ?? 1024);
const REPEATS = Number(process.env.REPEATS ?? 3);
const FORMATS = (process.env.FORMATS ?? 'npy,parquet,csv').split(',');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

console.log(`machine: ${os.cpus().length} cores, load average ${load()}`);
const dir = process.env.KEEP ?? mkdtempSync(path.join(os.tmpdir(), 'emofuse-bench-files-'));
mkdirSync(dir, { recursive: true });
const files: Record<string, { path: string; ids?: string }> = {
  npy: { path: path.join(dir, 'features.npy'), ids: path.join(dir, 'ids.txt') },
  parquet: { path: path.join(dir, 'features.parquet') },
  csv: { path: path.join(dir, 'features.csv') },
};

try {
  const missing = FORMATS.filter((f) => !existsSync(files[f].path));
  if (missing.length) {
    const t0 = performance.now();
    execFileSync(python, ['-c', `
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq, pyarrow.csv as pcsv
out, rows, dim, formats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(',')
x = np.random.default_rng(23).standard_normal((rows, dim), dtype=np.float32)
ids = [f'u{i:07d}' for i in range(rows)]
if 'npy' in formats:
    np.save(out + '/features.npy', x)
    open(out + '/ids.txt', 'w').write('\\n'.join(ids) + '\\n')
if 'parquet' in formats or 'csv' in formats:
    t = pa.table({'id': ids, **{f'f{j}': x[:, j] for j in range(dim)}})
    if 'parquet' in formats: pq.write_table(t, out + '/features.parquet')
    if 'csv' in formats: pcsv.write_csv(t, out + '/features.csv')
`, dir, String(ROWS), String(DIM), missing.join(',')], { stdio: 'inherit' });
    console.log(`wrote ${missing.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(0)} s (${dir})`);
  }

  const results: { format: string; mb: number; wall: number[]; cpu: number[]; rss: number[] }[] = [];
  for (const format of FORMATS) {
    const f = files[format];
    const r = { format, mb: statSync(f.path).size / 1e6, wall: [] as number[], cpu: [] as number[], rss: [] as number[] };
    for (let i = 0; i < REPEATS; i++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
        const { readFeatureFile } = await import('@emofuse/data');
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const t = await readFeatureFile(${JSON.stringify({ path: f.path, ids: f.ids })});
        const wall = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(c0);
        if (t.ids.length !== ${ROWS} || t.dim !== ${DIM} || t.values.length !== ${ROWS * DIM}) throw new Error('wrong shape ' + t.ids.length + ' x ' + t.dim);
        console.log(JSON.stringify({ wall, cpu: (c.user + c.system) / 1e6, rss: process.resourceUsage().maxRSS / 1024 }));
      `], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 20 });
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as { wall: number; cpu: number; rss: number };
      r.wall.push(m.wall);
      r.cpu.push(m.cpu);
      r.rss.push(m.rss);
    }
    results.push(r);
    console.log(`${format}: ${r.wall.map((w) => w.toFixed(2)).join(', ')} s; RSS ${r.rss.map((x) => x.toFixed(0)).join(', ')} MB (load ${load()})`);
  }

  console.log(`\nreadFeatureFile, ${ROWS} x ${DIM} float32, median of ${REPEATS} fresh processes (goal: < 10 s, < 1536 MB)`);
  console.log('format  | file MB | wall s | CPU s | peak RSS MB');
  for (const r of results) {
    console.log(`${r.format.padEnd(7)} | ${r.mb.toFixed(0).padStart(7)} | ${median(r.wall).toFixed(2).padStart(6)} | ${median(r.cpu).toFixed(2).padStart(5)} | ${median(r.rss).toFixed(0).padStart(11)}`);
  }
  console.log(`\nload average at the end: ${load()}`);
} finally {
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
}
