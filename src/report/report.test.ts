import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createJsBackend } from '../backends/js/index.js';
import { isOptiflowError } from '../index.js';
import { Graph, type Attribute, type Node } from '../ir/graph.js';
import { ALL_SCHEMAS } from '../ops/index.js';
import { checkOps, inferGraph } from '../ops/infer-graph.js';
import { OpRegistry } from '../ops/registry.js';
import { placeNodes } from '../partition/placement.js';
import { optimizeGraph } from '../passes/pipelines.js';
import { nodeEvaluator } from '../runtime/evaluate.js';
import { ZOO } from '../zoo/index.js';
import { optimizationReportHtml, writeOptimizationReport, type OptimizationReport } from './html.js';
import { layoutGraph } from './layout.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function node(name: string, opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {}, domain = ''): Node {
  return { name, opType, domain, inputs, outputs, attributes: new Map(Object.entries(attrs)) };
}

/** Conv -> BatchNormalization -> Relu on [1,3,8,8], and the same as one optiflow FusedConv. */
function handMade(): { before: Graph; after: Graph } {
  const base = () => {
    const g = new Graph();
    g.opsets.set('', 13);
    g.inputs.push({ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] });
    g.outputs.push({ name: 'y', dtype: 'float32', shape: [1, 4, 8, 8] });
    return g;
  };
  const f = (n: number) => ({ type: 'float32' as const, dims: n === 108 ? [4, 3, 3, 3] : [n], data: new Float32Array(n).fill(0.5) });
  const before = base();
  before.initializers.set('w', f(108));
  for (const p of ['scale', 'bias', 'mean', 'var']) before.initializers.set(p, f(4));
  before.nodes.push(
    node('conv1', 'Conv', ['x', 'w'], ['c'], { pads: { type: 'ints', value: [1, 1, 1, 1] } }),
    node('bn1', 'BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], ['b']),
    node('relu1', 'Relu', ['b'], ['y']),
  );
  for (const v of ['c', 'b']) before.valueInfo.set(v, { name: v, dtype: 'float32', shape: [1, 4, 8, 8] });
  const after = base();
  after.opsets.set('optiflow', 1);
  after.initializers.set('w_folded', f(108));
  after.initializers.set('b_folded', f(4));
  after.nodes.push(node('conv1_bn1_relu1', 'FusedConv', ['x', 'w_folded', 'b_folded'], ['y'],
    { pads: { type: 'ints', value: [1, 1, 1, 1] }, activation: { type: 'string', value: 'Relu' } }, 'optiflow'));
  return { before, after };
}

function handReport(): OptimizationReport {
  const { before, after } = handMade();
  return {
    title: 'hand-made <Conv+BN+ReLU>', before, after,
    applied: ['fold-into-conv', 'fuse-activation', 'dce'],
    placements: [{ node: 'conv1_bn1_relu1', opType: 'optiflow::FusedConv', backend: 'wasm', cause: 'wasm: rank 1, supported' }],
  };
}

/** A copy whose node, value and initializer tables can be rewritten without touching `g` (tensors shared). */
function copyGraph(g: Graph): Graph {
  const c = new Graph();
  c.opsets = new Map(g.opsets);
  c.metadata = { ...g.metadata };
  c.inputs = g.inputs.map((v) => ({ ...v }));
  c.outputs = g.outputs.map((v) => ({ ...v }));
  c.initializers = new Map(g.initializers);
  c.valueInfo = new Map([...g.valueInfo].map(([k, v]) => [k, { ...v }]));
  c.nodes = g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attributes: new Map(n.attributes) }));
  return c;
}

/** ResNet-50 as built, and the same graph optimized at `extended` on the js backend, placed. */
function resnetReport(): OptimizationReport {
  const registry = new OpRegistry(ALL_SCHEMAS);
  const before = ZOO['resnet50']!.build();
  inferGraph(before, checkOps(before, registry));
  const after = copyGraph(before);
  const backends = [createJsBackend()];
  const applied = optimizeGraph(after, 'extended', { evaluate: nodeEvaluator(after, backends, registry), registry });
  const schemas = checkOps(after, registry);
  inferGraph(after, schemas);
  const placements = [...placeNodes(after, backends, schemas).values()].map((p) => p.placement);
  return { title: 'resnet50 (extended)', before, after, applied, placements, dims: { N: 1 } };
}

const count = (html: string, needle: string) => html.split(needle).length - 1;

test('the HTML has one g.node per graph node in each SVG, the tables, and no external resources', () => {
  const r = handReport();
  const html = optimizationReportHtml(r);
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 2);
  assert.equal(count(svgs[0]!, '<g class="node '), 3);
  assert.equal(count(svgs[1]!, '<g class="node '), 1);
  assert.match(svgs[0]!, /viewBox="0 0 \d+ \d+"/);
  assert.ok(!/<script|<link[^>]+href="http|src="http|url\(http|@import/i.test(html), 'self-contained');
  // Title escaped; rewrite counts; op changes; FLOPs before (2*256*27 + 256 + 256) and after (2*256*27).
  assert.ok(html.includes('hand-made &lt;Conv+BN+ReLU&gt;'));
  assert.match(html, /<td>fold-into-conv<\/td><td class="num">1<\/td>/);
  assert.match(html, /<td>BatchNormalization<\/td><td class="num">1<\/td><td class="num">0<\/td>/);
  assert.match(html, /<td>optiflow::FusedConv<\/td><td class="num">0<\/td><td class="num">1<\/td>/);
  assert.ok(html.includes('title="14,336"') && html.includes('title="13,824"'));
  // Parameter bytes: (108 + 4*4) * 4 before, (108 + 4) * 4 after.
  assert.ok(html.includes('title="496"') && html.includes('title="448"'));
  assert.match(html, /data-backend="wasm"/);
  assert.match(html, /<td>conv1_bn1_relu1<\/td><td>optiflow::FusedConv<\/td><td>.*wasm<\/td><td>wasm: rank 1, supported<\/td>/);
});

test('empty graphs and names with markup render as escaped, well-formed SVG', () => {
  const empty = new Graph();
  const odd = new Graph();
  odd.inputs.push({ name: 'a"<b>', dtype: 'float32', shape: [2] });
  odd.outputs.push({ name: 'y&z', dtype: 'float32', shape: [2] });
  odd.nodes.push(node('<relu> & "more"', 'Relu', ['a"<b>'], ['y&z']));
  const html = optimizationReportHtml({ title: 'edge cases', before: empty, after: odd, applied: [] });
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.deepEqual(svgs.map((x) => count(x, '<g class="node ')), [0, 1]);
  assert.ok(!html.includes('<relu>') && html.includes('&lt;relu&gt; &amp; &quot;more&quot;'));
  assert.ok(html.includes('No rewrite changed the graph.') && html.includes('No placements given.'));
});

test('layout gives every node a box, no two boxes overlap, edges run between them', () => {
  const { before } = handMade();
  const l = layoutGraph(before, { placements: [{ node: 'bn1', opType: 'BatchNormalization', backend: 'js', cause: '' }] });
  const nodes = l.boxes.filter((b) => b.kind === 'node');
  assert.deepEqual(nodes.map((b) => b.name), ['conv1', 'bn1', 'relu1']);
  assert.equal(l.boxes.length, 5); // plus input x and output y
  for (const a of l.boxes) {
    assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.width <= l.width && a.y + a.height <= l.height);
    for (const b of l.boxes) {
      if (a === b) continue;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.name} overlaps ${b.name}`);
    }
  }
  assert.deepEqual(l.edges.map((e) => `${e.from}->${e.to}`), ['x->conv1', 'conv1->bn1', 'bn1->relu1', 'relu1->y']);
  assert.ok(l.edges.every((e) => e.points.length >= 2));
  assert.equal(nodes[1]!.backend?.name, 'js');
  assert.equal(nodes[1]!.stroke, l.backendColors.get('js'));
  assert.equal(nodes[0]!.backend, undefined);
  assert.notEqual(nodes[0]!.fill, nodes[1]!.fill); // conv vs normalization family
});

test('writeOptimizationReport writes atomically and reports a located io_error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-report-'));
  const file = join(dir, 'report.html');
  await writeOptimizationReport(file, handReport());
  assert.deepEqual(readdirSync(dir), ['report.html']);
  assert.ok(readFileSync(file, 'utf8').startsWith('<!DOCTYPE html>'));
  const bad = join(dir, 'missing', 'report.html');
  await assert.rejects(writeOptimizationReport(bad, handReport()),
    (e: unknown) => isOptiflowError(e) && e.code === 'io_error' && e.path.includes(bad));
});

test('reports render in headless Chromium without console errors', {
  skip: existsSync(CHROMIUM) ? false : `skipped: ${CHROMIUM} is absent (install the chromium package to render the report)`,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'optiflow-report-'));
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const cases: [string, OptimizationReport][] = [['hand-made', handReport()], ['resnet50', resnetReport()]];
    for (const [name, r] of cases) {
      await t.test(name, async () => {
        const file = join(dir, `${name}.html`);
        await writeOptimizationReport(file, r);
        const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        const errors: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('request', (q) => { if (!q.url().startsWith('file:') && !q.url().startsWith('data:')) requests.push(q.url()); });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        const counts = await page.$$eval('svg.graph', (svgs) => svgs.map((s) => s.querySelectorAll('g.node').length));
        assert.deepEqual(counts, [r.before.nodes.length, r.after.nodes.length]);
        // Every label fits in its box (the layout estimates text widths).
        const overflow = await page.$$eval('svg.graph g.node', (gs) => gs.flatMap((g) => {
          const w = Number(g.querySelector('rect')!.getAttribute('width'));
          return Array.from(g.querySelectorAll<SVGTextElement>('text.l1, text.l2')).filter((x) => x.getComputedTextLength() > w - 4).map((x) => x.textContent);
        }));
        assert.deepEqual(overflow, []);
        // Each graph scrolls inside its panel rather than stretching the page.
        const panelHeights = await page.$$eval('.scroll', (ps) => ps.map((p) => p.getBoundingClientRect().height));
        assert.ok(panelHeights.every((h) => h <= 1000), `panel heights ${panelHeights.join(', ')}`);
        assert.deepEqual(errors, []);
        assert.deepEqual(requests, []);
        const png = join(dir, `${name}.png`);
        await page.screenshot({ path: png, fullPage: true });
        console.log(`report screenshot: ${png}`);
        await page.close();
      });
    }
  } finally {
    await browser.close();
  }
});
