// What the dashboard's pages share. Every piece of data reaches the page through textContent or a
// property, never as HTML.

/** Request outcomes, in the order the API lists them. */
export const outcomes = [
  'succeeded',
  'warning',
  'partial_failure',
  'failed',
  'timed_out',
  'cancelled',
  'unknown',
  'skipped',
];

/** An element with properties (textContent, href, className...) and children. */
export function el(tag, properties = {}, children = []) {
  const element = document.createElement(tag);
  Object.assign(element, properties);
  element.append(...children);
  return element;
}

/** GET of the API as JSON; a browser without a session goes to the login page. */
export async function fetchJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401) {
    location.assign(`/dashboard/login?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('not logged in');
  }
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = body?.error?.message ?? `the API answered ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

/** Shows a message above the page's content; undefined hides it. */
export function showMessage(text) {
  const message = document.getElementById('message');
  message.textContent = text ?? '';
  message.hidden = text === undefined;
}

export function formatDuration(ms) {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** An ISO 8601 time of the API, in the browser's locale. */
export function formatTime(isoTime) {
  return isoTime === undefined ? '' : new Date(isoTime).toLocaleString();
}

/** `key=value` pairs of a metadata object, for a table cell. */
export function formatMetadata(metadata) {
  return Object.entries(metadata ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

/** A name the worker looked up, as one line: `lun_maps.0.igroup: ig_db (svm vs1) → <key>`. */
export function formatResolved({ field, reference, key }) {
  const qualifiers = ['svm', 'cluster']
    .filter((qualifier) => typeof reference?.[qualifier]?.name === 'string')
    .map((qualifier) => `${qualifier} ${reference[qualifier].name}`);
  const name = typeof reference?.name === 'string' ? reference.name : '';
  const within = qualifiers.length > 0 ? `${name === '' ? '' : ' '}(${qualifiers.join(', ')})` : '';
  return `${field}: ${name}${within} → ${key}`;
}
