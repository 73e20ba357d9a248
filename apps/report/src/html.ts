import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Spec as VegaSpec } from 'vega';

export interface HtmlChart {
  id: string;
  title: string;
  caption?: string;
  spec: VegaSpec;
}

export interface HtmlSection {
  heading: string;
  /** Trusted HTML built by the report itself (tables); user text must go through escapeHtml. */
  html: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element: no `</script>` or `<!--` can close or confuse it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

let vegaSource: string | undefined;
/** The vega runtime, inlined so the page opens offline. */
function vegaScript(): string {
  // vega's exports map hides build/; its entry module sits beside the UMD bundle.
  vegaSource ??= readFileSync(path.join(path.dirname(fileURLToPath(import.meta.resolve('vega'))), 'vega.min.js'), 'utf8');
  if (/<\/script/i.test(vegaSource)) throw new Error('vega.min.js contains </script>; cannot inline it');
  return vegaSource;
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h3 { font-size: 14px; margin: 16px 0 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; } th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
.chart { margin: 8px 0 4px; min-height: 40px; overflow-x: auto; }
.caption { color: #555; font-size: 12px; margin-bottom: 16px; }
.error { color: #b2182b; font-weight: bold; }
`;

/**
 * One self-contained page: the vega runtime, the compiled specs and their data are inlined, so it
 * opens from disk with no network. `window.__emofuseRendered` is set to the number of charts once all are drawn.
 */
export function renderHtml(opts: { title: string; meta: string[]; sections: HtmlSection[]; charts: HtmlChart[]; footer: string }): string {
  const charts = opts.charts.map((c) => ({ id: c.id, spec: c.spec }));
  const chartHtml = opts.charts
    .map((c) => `<h2>${escapeHtml(c.title)}</h2>\n<div class="chart" id="${escapeHtml(c.id)}"></div>${c.caption ? `\n<div class="caption">${escapeHtml(c.caption)}</div>` : ''}`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(opts.title)}</title>
<style>${STYLE}</style>
<script>${vegaScript()}</script>
</head>
<body>
<h1>${escapeHtml(opts.title)}</h1>
${opts.meta.map((m) => `<div class="meta">${escapeHtml(m)}</div>`).join('\n')}
${opts.sections.map((s) => `<h2>${escapeHtml(s.heading)}</h2>\n${s.html}`).join('\n')}
${chartHtml}
<p class="meta">${escapeHtml(opts.footer)}</p>
<script id="emofuse-charts" type="application/json">${scriptJson(charts)}</script>
<script>
(function () {
  var charts = JSON.parse(document.getElementById('emofuse-charts').textContent);
  window.__emofuseRendered = 0;
  Promise.all(charts.map(function (c) {
    var el = document.getElementById(c.id);
    var view = new vega.View(vega.parse(c.spec), { renderer: 'svg', container: el, hover: true });
    return view.runAsync();
  })).then(function () {
    window.__emofuseRendered = charts.length;
  }, function (err) {
    window.__emofuseError = String(err && err.message || err);
    var p = document.createElement('p'); p.className = 'error'; p.textContent = 'A chart failed to render: ' + window.__emofuseError;
    document.body.insertBefore(p, document.body.firstChild);
    console.error(err);
  });
})();
</script>
</body>
</html>
`;
}
