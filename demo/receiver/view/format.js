// Small helpers shared by the view's modules. Span data is untrusted input: it only
// ever reaches the page through textContent, never as HTML.

/** `<tag class=...>` with children (strings become text). */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((c) => c !== undefined && c !== null).map((c) => (typeof c === 'string' ? document.createTextNode(c) : c)));
  return node;
}

export function formatMs(ms) {
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatClock(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
export const STATUS_ERROR = 2;

// No red: red marks errors.
const PALETTE = ['#4263eb', '#f08c00', '#0ca678', '#ae3ec9', '#1098ad', '#74b816', '#e8590c', '#7048e8'];
const colors = new Map();

/** A colour per service, handed out in name order so a reload gives the same colours. */
export function learnServices(services) {
  for (const s of [...new Set(services)].sort()) if (!colors.has(s)) colors.set(s, PALETTE[colors.size % PALETTE.length]);
}

export function colorOf(service) {
  learnServices([service]);
  return colors.get(service);
}

/** A chip naming a service in its colour. */
export function serviceChip(service) {
  const chip = el('span', 'chip', service);
  chip.style.setProperty('--service', colorOf(service));
  return chip;
}
