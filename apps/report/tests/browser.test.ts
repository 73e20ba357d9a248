import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { buildReport, type ReportPaths } from '../src/index.ts';
import { fixtureRuns } from './fixtures.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CHROMIUM = process.env.EMOFUSE_CHROMIUM ?? '/usr/bin/chromium';

describe('report.html in headless Chromium', () => {
  let tmp: string;
  let paths: ReportPaths;
  let browser: Browser;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'emofuse-report-'));
    paths = await buildReport({ input: { runs: fixtureRuns(), source: 'test fixtures (synthetic)' }, outDir: path.join(tmp, 'report'), title: 'emofuse report (test fixtures)', ablation: { by: 'system' } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('renders every chart offline with no console or page errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const leaked: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      leaked.push(url);
      return route.abort();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !leaked.includes(r.url())) leaked.push(r.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`));

    await page.goto(pathToFileURL(paths.html).href);
    const expected = Object.keys(paths.svgs).length;
    expect(expected).toBe(5);
    await page.waitForFunction(() => {
      const w = globalThis as unknown as { __emofuseRendered?: number; __emofuseError?: string };
      return (w.__emofuseRendered ?? 0) > 0 || w.__emofuseError !== undefined;
    }, null, { timeout: 30_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __emofuseError?: string }).__emofuseError ?? null)).toBeNull();
    expect(await page.evaluate(() => (globalThis as unknown as { __emofuseRendered: number }).__emofuseRendered)).toBe(expected);

    // Each chart container holds a drawn SVG with marks in it.
    const drawn = await page.$$eval('.chart', (els) => els.map((el) => ({ id: el.id, marks: el.querySelectorAll('svg path, svg rect, svg line, svg text').length })));
    expect(drawn.map((d) => d.id).sort()).toEqual(Object.keys(paths.svgs).map((n) => `chart-${n}`).sort());
    for (const d of drawn) expect(d.marks, d.id).toBeGreaterThan(20);

    // The paper's numbers and our systems made it onto the page.
    const text = await page.textContent('body');
    expect(text).toContain('ICON*');
    expect(text).toContain('late-weighted');
    expect(text).toContain('cited from the paper');
    expect(text).toContain('majority class: always neu');
    // The run conditions, per-class and significance tables as rendered.
    const sections = await page.$$eval('h2', (els) => els.map((e) => e.textContent));
    expect(sections).toEqual(expect.arrayContaining(['Run conditions', 'Per class (test split, %)', 'Significance', 'Late fusion weights chosen on validation']));
    const tableAfter = (heading: string) => page.evaluate((h) => {
      // Runs in the page; this package's TypeScript lib has no DOM types.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const document = (globalThis as any).document;
      let el = [...document.querySelectorAll('h2')].find((e: any) => e.textContent === h)?.nextElementSibling; // eslint-disable-line @typescript-eslint/no-explicit-any
      while (el && el.tagName !== 'TABLE') el = el.querySelector('table') ?? el.nextElementSibling;
      return el ? [...el.querySelectorAll('tr')].map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)) : null;
    }, heading);
    const conditions = await tableAfter('Run conditions');
    expect(conditions!.map((r) => r[0])).toEqual(expect.arrayContaining(['corpus', 'protocol', 'folds', 'seeds', 'epochs', 'stopping rule', 'backend', 'commit']));
    expect(conditions!.find((r) => r[0] === 'seeds')![1]).toBe('3 (1, 2, 3)');
    const perClass = await tableAfter('Per class (test split, %)');
    expect(perClass![0]).toEqual(['system', 'class', 'recall', 'precision', 'F1', 'support']);
    expect(perClass!.filter((r) => r[0] === 'text-lstm').map((r) => [r[1], r[5]])).toEqual([['hap', '144'], ['sad', '245'], ['neu', '384'], ['ang', '170'], ['exc', '299'], ['fru', '381']]);
    const sig = await tableAfter('Significance');
    expect(sig!.filter((r) => r[0] === 'late-weighted − text-lstm').map((r) => r[1])).toEqual(['1', '2', '3', 'pooled (3)']);
    // The comparison chart draws its one legend in the browser too.
    expect(await page.$$eval('#chart-comparison svg .role-legend', (els) => els.length)).toBe(1);

    const shots = path.join(repoRoot, 'reports/screenshots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'report-fixture.png'), fullPage: true });

    expect(errors).toEqual([]);
    expect(leaked).toEqual([]);
    await page.close();
  });
});
