import { buildReport } from './src/index.ts';
import { fixtureRuns } from './tests/fixtures.ts';
const t = Date.now();
await buildReport({ input: { runs: fixtureRuns(), source: 'fixtures' }, outDir: '/tmp/rep1', title: 'Fixture report' });
console.log(Date.now() - t, 'ms');
