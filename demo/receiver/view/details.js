import { KIND_NAMES, STATUS_ERROR, el, formatMs, serviceChip } from './format.js';

const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

function table(record, className = 'attributes') {
  const keys = Object.keys(record).sort();
  if (keys.length === 0) return el('p', 'muted', 'none');
  return el('table', className, el('tbody', null, ...keys.map((k) => el('tr', null, el('th', null, k), el('td', null, show(record[k]))))));
}

function facts(pairs) {
  return el('dl', 'facts', ...pairs.flatMap(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

/** The selected span: what it is, its attributes, its events, its resource. */
export function renderDetails(container, span, traceStartMs) {
  const error = span.status.code === STATUS_ERROR;
  const status = error ? `ERROR${span.status.message ? `: ${span.status.message}` : ''}` : span.status.code === 1 ? 'OK' : 'unset';
  const events = span.events.map((e) =>
    el('li', null, el('div', 'event-head', el('b', null, e.name), ` at +${formatMs(e.timeMs - span.startMs)}`), table(e.attributes)),
  );
  container.replaceChildren(
    el('h3', null, span.name),
    facts([
      ['service', serviceChip(span.service)],
      ['kind', KIND_NAMES[span.kind] ?? String(span.kind)],
      ['duration', formatMs(span.endMs - span.startMs)],
      ['starts at', `+${formatMs(span.startMs - traceStartMs)}`],
      ['status', el('span', error ? 'bad' : null, status)],
      ['span id', el('code', null, span.spanId)],
      ['parent', el('code', null, span.parentSpanId ?? '(root)')],
      ['scope', `${span.scope.name}${span.scope.version ? ' ' + span.scope.version : ''}`],
    ]),
    el('h4', null, 'Attributes'),
    table(span.attributes),
    el('h4', null, `Events (${span.events.length})`),
    events.length ? el('ul', 'events', ...events) : el('p', 'muted', 'none'),
    el('details', null, el('summary', null, 'Resource'), table(span.resource)),
  );
  container.dataset.spanId = span.spanId;
}
