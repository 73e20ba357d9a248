// Sums the vitest JSON reports that every project writes to reports/vitest/<project>.json.
// A project whose test target ran but left no report counts as one failure, so a crash is never silent.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, 'reports/vitest');
// Every Nx project with a test target, read from its project.json (the same list nx runs).
const projects = ['packages', 'apps', 'examples']
  .filter((top) => existsSync(path.join(root, top)))
  .flatMap((top) => readdirSync(path.join(root, top)).map((d) => path.join(root, top, d, 'project.json')))
  .filter((f) => existsSync(f))
  .map((f) => JSON.parse(readFileSync(f, 'utf8')))
  .filter((p) => p.targets && 'test' in p.targets)
  .map((p) => p.name);
let passed = 0, failed = 0, skipped = 0;
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
for (const p of projects) {
  const f = `${p}.json`;
  if (!files.includes(f)) {
    console.log(`${p}: no test report (its test target did not run to the end)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  console.log(`${p}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 ? 1 : 0);
