import { renderDetails } from './details.js';
import { el, formatClock, formatMs, learnServices, serviceChip } from './format.js';
import { renderVitals } from './vitals.js';
import { renderWaterfall } from './waterfall.js';

const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);
let shown; // { trace, spanId }: the trace on screen and its selected span

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

/** The trace named in the URL (#trace=<id>), so a trace can be linked and reloaded. */
const traceIdInHash = () => /^#trace=([0-9a-f]{32})$/.exec(location.hash)?.[1];

function renderList(traces) {
  learnServices(traces.flatMap((t) => t.services));
  $('no-traces').hidden = traces.length > 0;
  const current = traceIdInHash();
  $('trace-list').tBodies[0].replaceChildren(
    ...traces.map((t) => {
      const link = el('a', null, t.rootName);
      link.href = `#trace=${t.traceId}`;
      const row = el(
        'tr',
        t.traceId === current ? 'selected' : null,
        el(
          'td',
          null,
          link,
          t.rootComplete ? undefined : el('span', 'orphan', 'root missing'),
          t.groupedTraces ? el('span', 'grouped', `+ ${t.groupedTraces} of its page view`) : undefined,
        ),
        el('td', 'services', ...t.services.map(serviceChip)),
        el('td', 'num', formatMs(t.durationMs)),
        el('td', 'num', String(t.spanCount)),
        el('td', `num${t.errorCount ? ' bad' : ''}`, String(t.errorCount)),
        el('td', 'muted', formatClock(t.startMs)),
      );
      Object.assign(row.dataset, { traceId: t.traceId, rootName: t.rootName, services: t.services.join(','), spanCount: t.spanCount, errorCount: t.errorCount, pageViewId: t.pageViewId ?? '', groupedTraces: t.groupedTraces });
      row.addEventListener('click', (e) => {
        if (e.target !== link) location.hash = `trace=${t.traceId}`;
      });
      return row;
    }),
  );
}

function selectSpan(span) {
  shown.spanId = span.spanId;
  renderTrace(shown.trace);
}

function renderTrace(trace) {
  $('trace').hidden = false;
  $('trace').dataset.traceId = trace.traceId;
  $('trace-title').textContent = trace.rootName;
  $('trace-meta').textContent =
    `trace ${trace.traceId} · ${formatMs(trace.durationMs)} · ${trace.spanCount} spans · ${trace.errorCount} errors · started ${formatClock(trace.startMs)}` +
    (trace.droppedSpans ? ` · ${trace.droppedSpans} spans not kept` : '') +
    (trace.groupedTraces ? ` · with ${trace.groupedTraces} one-span traces of page view ${trace.pageViewId} (Web Vitals, errors)` : '');
  renderVitals($('vitals'), trace.vitals);
  $('legend').replaceChildren(...trace.services.map(serviceChip));
  renderWaterfall($('waterfall'), trace.spans, shown.spanId, selectSpan);
  const selected = trace.spans.find((s) => s.spanId === shown.spanId);
  if (selected) renderDetails($('details'), selected, trace.startMs);
  else {
    // Another trace's span must not stay on screen next to this one.
    delete $('details').dataset.spanId;
    $('details').replaceChildren(el('p', 'muted', 'Click a span to see its attributes and events.'));
  }
}

/** Shows the trace in the URL; redraws it only when spans were added since. */
async function showTrace(listed) {
  const id = traceIdInHash();
  if (!id) {
    $('trace').hidden = true;
    shown = undefined;
    return;
  }
  const summary = listed?.find((t) => t.traceId === id);
  if (shown?.trace.traceId === id && summary && summary.spanCount === shown.trace.spanCount) return;
  let trace;
  try {
    trace = await getJson(`/api/traces/${id}`);
  } catch {
    shown = undefined;
    $('trace').hidden = false;
    for (const id of ['vitals', 'legend', 'waterfall']) $(id).replaceChildren();
    $('trace-meta').textContent = '';
    $('trace-title').textContent = 'This trace is not (or no longer) stored.';
    return;
  }
  if (shown?.trace.traceId !== id) shown = { trace, spanId: undefined };
  shown.trace = trace;
  renderTrace(trace);
}

async function refresh() {
  try {
    const traces = await getJson('/api/traces');
    renderList(traces);
    await showTrace(traces);
  } catch (err) {
    $('no-traces').hidden = false;
    $('no-traces').textContent = `The receiver does not answer (${err.message}). Is npm run demo still running?`;
  }
}

$('endpoint').textContent = `${location.origin}/v1/traces`;
addEventListener('hashchange', refresh);
refresh();
setInterval(refresh, REFRESH_MS);
