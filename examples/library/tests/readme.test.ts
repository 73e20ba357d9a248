import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../../..');

it('the README shows the quickstart script the smoke test runs, unchanged', () => {
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  const script = readFileSync(path.join(repo, 'examples/library/iemocap-quickstart.mjs'), 'utf8');
  expect(readme).toContain('## Use it as a library');
  expect(readme).toContain('```js\n' + script + '```');
});
