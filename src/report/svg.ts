/**
 * Renders a {@link GraphLayout} as one self-contained inline `<svg>`: one `<g class="node">` per
 * graph node (with a `<title>` tooltip), `<g class="io">` per graph input/output, edges as
 * polylines with arrowheads. Styling comes from the page's CSS classes plus inline colours.
 * @module
 */
import { shorten, type GraphLayout, type NodeBox } from './layout.js';

/** Escapes text for HTML/SVG content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const r1 = (v: number): string => String(Math.round(v * 10) / 10);

function boxSvg(b: NodeBox): string {
  const title = `<title>${escapeHtml(b.tooltip)}</title>`;
  const cx = b.x + b.width / 2;
  if (b.kind !== 'node') {
    return `<g class="io ${b.kind}">${title}`
      + `<rect x="${r1(b.x)}" y="${r1(b.y)}" width="${r1(b.width)}" height="${r1(b.height)}" rx="14" fill="${b.fill}" stroke="${b.stroke}"/>`
      + `<text x="${r1(cx)}" y="${r1(b.y + 12)}" class="l1">${escapeHtml(shorten(b.name))}</text>`
      + `<text x="${r1(cx)}" y="${r1(b.y + 23)}" class="l2">${escapeHtml(b.opType)}</text></g>`;
  }
  const placed = b.backend !== undefined;
  let badge = '';
  if (b.backend) {
    const w = Math.max(22, b.backend.name.length * 6 + 8);
    const bx = b.x + b.width - w + 4;
    badge = `<rect class="badge" x="${r1(bx)}" y="${r1(b.y - 7)}" width="${w}" height="13" rx="6" fill="${b.backend.color}"/>`
      + `<text class="badge-text" x="${r1(bx + w / 2)}" y="${r1(b.y + 3)}">${escapeHtml(b.backend.name)}</text>`;
  }
  return `<g class="node fam-${b.family}" data-op="${escapeHtml(b.opType)}"${placed ? ` data-backend="${escapeHtml(b.backend!.name)}"` : ''}>${title}`
    + `<rect x="${r1(b.x)}" y="${r1(b.y)}" width="${r1(b.width)}" height="${r1(b.height)}" rx="5" fill="${b.fill}" stroke="${b.stroke}" stroke-width="${placed ? 2.5 : 1.2}"/>`
    + `<text x="${r1(cx)}" y="${r1(b.y + 16)}" class="l1">${escapeHtml(b.opType)}</text>`
    + `<text x="${r1(cx)}" y="${r1(b.y + 31)}" class="l2">${escapeHtml(shorten(b.name))}</text>${badge}</g>`;
}

/**
 * The layout as an `<svg>` with a `viewBox` and its natural pixel size (the page scrolls it
 * inside its panel). `id` prefixes the arrowhead marker id so several SVGs can share a page.
 */
export function layoutSvg(l: GraphLayout, id: string, label: string): string {
  const w = Math.max(1, l.width);
  const h = Math.max(1, l.height);
  const marker = `${id}-arrow`;
  const edges = l.edges.filter((e) => e.points.length >= 2).map((e) => {
    const pts = e.points.map((p) => `${r1(p.x)},${r1(p.y)}`).join(' ');
    return `<polyline class="edge" points="${pts}" marker-end="url(#${marker})"><title>${escapeHtml(e.values.join(', '))}</title></polyline>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="graph" id="${id}" role="img" aria-label="${escapeHtml(label)}" `
    + `viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`
    + `<defs><marker id="${marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">`
    + '<path d="M0,0 L10,5 L0,10 z" fill="#868e96"/></marker></defs>'
    + `<g class="edges">${edges}</g><g class="boxes">${l.boxes.map(boxSvg).join('')}</g></svg>`;
}
