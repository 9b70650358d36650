/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixInput, writeReport } from '../src/index';

// The report opened from file:// in Debian's Chromium (ARCHITECTURE §5), as a reader would.
// Screenshots land in artifacts/ (gitignored) for a person to look at.

const CHROMIUM = process.env.DAXREF_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const fixtures = join(__dirname, 'fixtures');
const artifacts = join(__dirname, '..', 'artifacts');
const matrix = JSON.parse(readFileSync(join(fixtures, 'matrix.json'), 'utf8')) as MatrixInput;

let browser: Browser;
let url: string;

interface Watch {
  errors: string[];
  requests: string[];
}

async function open(scheme: 'light' | 'dark'): Promise<{ page: Page; watch: Watch }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: scheme });
  const watch: Watch = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') watch.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => watch.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) watch.requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, watch };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does this)`);
  }
  mkdirSync(artifacts, { recursive: true });
  // The report is built from the fixtures (a real `daxref check` subset, a quick bench, and
  // oracle / fuzz files in the shapes their issues define).
  const r = writeReport({ inDir: fixtures, outFile: join(artifacts, 'report.html') });
  url = pathToFileURL(r.path).href;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});

afterAll(async () => {
  await browser?.close();
});

describe('the report in Chromium, from file://', () => {
  it('loads with no console error and no request besides the page itself; the matrix has a cell per scenario × policy', async () => {
    const { page, watch } = await open('light');
    expect(await page.locator('table.matrix td.cell').count()).toBe(
      matrix.scenarios.length * matrix.policies.length,
    );
    // Open every counterexample so every chart is laid out, then look again.
    await page.evaluate(() => {
      for (const d of document.querySelectorAll('details')) d.open = true;
    });
    await page.waitForTimeout(100);
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'report-light-full.png'), fullPage: true });
    await page.close();
  });

  it('a failing cell opens its timeline, which marks the violation', async () => {
    const { page, watch } = await open('light');
    const cell = matrix.cells.find((c) => c.verdict === 'fail' && c.timeline !== undefined)!;
    const details = page
      .locator('details.cex')
      .filter({ hasText: `${cell.scenario} under ${cell.policy}` })
      .first();
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    const link = page.locator(`td.cell[title^="${cell.scenario} under ${cell.policy}:"] a`);
    await link.click();
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(page.url()).toContain('#cex--');
    const tl = details.locator('[data-testid=timeline] svg');
    await expect.poll(() => tl.isVisible()).toBe(true);
    const box = (await tl.boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    expect(box.height).toBeGreaterThan(100);
    // The violation's kind and step are written on the timeline, next to its rule.
    const v = cell.violations[0]!;
    const text = await tl.textContent();
    expect(text).toContain(`⚠ `);
    expect(text).toContain(v.kind);
    expect(text).toContain(`(step ${v.step})`);
    // One lane per task that ran.
    for (const s of cell.timeline!.steps) expect(text).toContain(`task ${cell.timeline!.tasks[s.task]}`);
    await details.screenshot({ path: join(artifacts, 'timeline-light.png') });
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('the charts render with a non-zero size', async () => {
    const { page } = await open('light');
    for (const id of ['chart-bench', 'chart-gup']) {
      const svg = page.locator(`[data-testid=${id}] svg`).last();
      const box = (await svg.boundingBox())!;
      expect(box.width, id).toBeGreaterThan(300);
      expect(box.height, id).toBeGreaterThan(150);
      // Marks were drawn, not only axes.
      expect(
        await page.locator(`[data-testid=${id}] svg path, [data-testid=${id}] svg circle`).count(),
      ).toBeGreaterThan(5);
    }
    await page.close();
  });

  it('the filters hide a design and dim other verdicts', async () => {
    const { page } = await open('light');
    const variants0 = matrix.policies.filter((p) => p.id.startsWith('0based@')).length;
    await page.locator('input[name=design][value="0based"]').uncheck();
    expect(await page.locator('table.matrix td.cell.hidden').count()).toBe(
      matrix.scenarios.length * variants0,
    );
    for (const v of ['pass', 'na']) await page.locator(`input[name=verdict][value="${v}"]`).uncheck();
    const visibleFails = await page
      .locator('table.matrix td.cell:not(.hidden):not(.dim)')
      .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-verdict-group')));
    expect(visibleFails.length).toBeGreaterThan(0);
    expect(new Set(visibleFails)).toEqual(new Set(['fail']));
    await page.locator('#f-text').fill('unpin-missed');
    expect(await page.locator('table.matrix tbody tr:not(.hidden)').count()).toBe(1);
    await page.close();
  });

  it('renders in the dark scheme: dark background, light text, charts drawn in the text colour', async () => {
    const { page, watch } = await open('dark');
    const colours = await page.evaluate(() => {
      const lum = (c: string) => {
        const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? []).map(Number) as [number, number, number];
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      };
      const html = getComputedStyle(document.documentElement);
      const svg = document.querySelector('[data-testid=chart-bench] svg:last-of-type') as Element;
      return { bg: lum(html.backgroundColor), fg: lum(html.color), chart: lum(getComputedStyle(svg).color) };
    });
    expect(colours.bg).toBeLessThan(0.2);
    expect(colours.fg).toBeGreaterThan(0.7);
    expect(colours.chart).toBeGreaterThan(0.7);
    await page.screenshot({ path: join(artifacts, 'report-dark.png') });
    await page.locator('#matrix').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, 'matrix-dark.png') });
    expect(watch.errors).toEqual([]);
    expect(watch.requests).toEqual([]);
    await page.close();
  });
});
