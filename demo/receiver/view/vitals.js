import { el } from './format.js';

/** CLS is a unitless score; the other vitals are milliseconds. */
const formatVital = (v) => (v.name === 'CLS' ? v.value.toFixed(3) : `${Math.round(v.value)} ms`);

/** The page view's Web Vitals, when the browser agent reported any; hidden otherwise. */
export function renderVitals(container, vitals) {
  container.hidden = vitals.length === 0;
  const cards = vitals.map((v) => {
    const card = el('div', 'vital', el('span', 'vital-name', v.name), el('span', 'vital-value', formatVital(v)), el('span', 'vital-rating', v.rating || 'unrated'));
    Object.assign(card.dataset, { vital: v.name, rating: v.rating });
    card.title = `reported by span ${v.spanId} of trace ${v.traceId}`;
    return card;
  });
  container.replaceChildren(el('span', 'vitals-title', 'Web Vitals of this page view'), ...cards);
}
