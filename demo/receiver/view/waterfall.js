import { KIND_NAMES, STATUS_ERROR, colorOf, el, formatMs } from './format.js';

/** Spans in tree order (parents before children, siblings by start), each with its depth. */
function treeOrder(spans) {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) {
      if (!children.has(s.parentSpanId)) children.set(s.parentSpanId, []);
      children.get(s.parentSpanId).push(s);
    } else roots.push(s);
  }
  const out = [];
  const visit = (span, depth) => {
    out.push({ span, depth, orphan: Boolean(span.parentSpanId) && !ids.has(span.parentSpanId) });
    for (const c of (children.get(span.spanId) ?? []).sort((a, b) => a.startMs - b.startMs)) visit(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startMs - b.startMs)) visit(r, 0);
  return out;
}

function axis(totalMs) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tick = el('span', 'tick', f === 0 ? '0' : formatMs(totalMs * f));
    tick.style.left = `${f * 100}%`;
    return tick;
  });
  return el('div', 'span-row axis', el('div', 'span-label', 'span'), el('div', 'span-track', ...ticks));
}

/**
 * Draws one trace as a waterfall: a row per span, indented under its parent, with a bar
 * placed on the trace's time line and coloured by service. `onSelect(span)` on click.
 */
export function renderWaterfall(container, spans, selectedId, onSelect) {
  const start = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(Math.max(...spans.map((s) => s.endMs)) - start, 0.001);
  const rows = treeOrder(spans).map(({ span, depth, orphan }) => {
    const error = span.status.code === STATUS_ERROR;
    const label = el(
      'div',
      'span-label',
      el('span', 'span-name', span.name),
      el('span', 'span-service', `${span.service} · ${KIND_NAMES[span.kind] ?? span.kind}`),
      orphan ? el('span', 'orphan', 'parent not received') : undefined,
    );
    label.style.paddingLeft = `${0.4 + depth * 1.1}rem`;
    const bar = el('div', 'span-bar');
    bar.style.left = `${((span.startMs - start) / total) * 100}%`;
    bar.style.width = `${Math.max(((span.endMs - span.startMs) / total) * 100, 0.3)}%`;
    bar.style.setProperty('--service', colorOf(span.service));
    const duration = el('span', 'span-duration', formatMs(span.endMs - span.startMs));
    duration.style.left = `calc(${((span.endMs - start) / total) * 100}% + 4px)`;
    const row = el('div', `span-row${error ? ' error' : ''}${span.spanId === selectedId ? ' selected' : ''}`, label, el('div', 'span-track', bar, duration));
    Object.assign(row.dataset, { spanId: span.spanId, parentSpanId: span.parentSpanId ?? '', service: span.service, kind: KIND_NAMES[span.kind] ?? '', name: span.name });
    row.tabIndex = 0;
    row.setAttribute('role', 'button');
    row.setAttribute('aria-label', `${span.name}, ${span.service}, ${formatMs(span.endMs - span.startMs)}${error ? ', error' : ''}`);
    const select = () => onSelect(span);
    row.addEventListener('click', select);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    });
    return row;
  });
  container.replaceChildren(axis(total), ...rows);
}
