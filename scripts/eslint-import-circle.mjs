/**
 * ESLint rule `emofuse/no-import-circle`: no file may reach itself through its relative imports,
 * type imports included. import-x/no-cycle follows only the imports that run (it skips
 * `import type`); a circle held by type imports alone still ties the files together, and one
 * such import turned into a value import makes it an initialisation-order circle (issue #27).
 * The linted file's imports come from its AST; those of the files it reaches from their text.
 */
import fs from 'node:fs';
import path from 'node:path';

// import/export ... from './x.ts' (type or not), and bare import './x.ts', at the start of a line
const IMPORT_RE = /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const imports = new Map();

function resolve(from, spec) {
  const target = path.resolve(path.dirname(from), spec);
  return /\.[cm]?[jt]s$/.test(target) && fs.existsSync(target) ? target : undefined;
}

/** Relative imports of `file`, read once a lint run. */
function importsOf(file) {
  let deps = imports.get(file);
  if (deps) return deps;
  deps = [];
  imports.set(file, deps);
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return deps; }
  text = text.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const m of text.matchAll(IMPORT_RE)) {
    const target = resolve(file, m[1] ?? m[2]);
    if (target && !deps.includes(target)) deps.push(target);
  }
  return deps;
}

/** A shortest path of imports from `start` back to `goal`, or undefined. */
function pathBack(start, goal) {
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const f = queue.shift();
    for (const d of importsOf(f)) {
      if (d === goal) {
        const chain = [d];
        for (let x = f; x; x = prev.get(x)) chain.unshift(x);
        return chain;
      }
      if (!prev.has(d)) { prev.set(d, f); queue.push(d); }
    }
  }
  return undefined;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'forbid import circles between files, type imports included' },
    schema: [],
    messages: { circle: 'Import circle (type imports included): {{chain}}' },
  },
  create(context) {
    const file = context.filename;
    const check = (node) => {
      if (!node.source || typeof node.source.value !== 'string' || !node.source.value.startsWith('.')) return;
      const target = resolve(file, node.source.value);
      const back = target && (target === file ? [file] : pathBack(target, file));
      if (!back) return;
      const rel = (f) => path.relative(path.dirname(file), f) || path.basename(f);
      context.report({ node, messageId: 'circle', data: { chain: [path.basename(file), ...back.map(rel)].join(' -> ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default { rules: { 'no-import-circle': rule } };
