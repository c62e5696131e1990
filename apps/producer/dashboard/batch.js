// The batch page: the batch's requests from the API, then kept live by the batch's events (server-sent
// events of /v1/events). Updates only move a request forward (waiting → queued → submitting → tracking →
// completed),
// so a snapshot and events may arrive in any order; batch.completed reloads the snapshot for the final word.
import {
  el,
  fetchJson,
  formatDuration,
  formatMetadata,
  formatResolved,
  formatTime,
  outcomes,
  showMessage,
} from './shared.js';

const statusRank = { waiting: 0, queued: 1, submitting: 2, tracking: 3, completed: 4 };
/** Every outcome but success (with or without a warning) is listed among the failures. */
const failureOutcomes = new Set(
  outcomes.filter((outcome) => outcome !== 'succeeded' && outcome !== 'warning'),
);
const slowestShown = 10;
const failuresShown = 100;
const pageSize = 1000;

const batchId = decodeURIComponent(location.pathname.slice(location.pathname.lastIndexOf('/') + 1));
/** requestId → what the page knows of the request. */
const requests = new Map();
let batch;
let events;
let renderTimer;

function merge(update) {
  const current = requests.get(update.requestId);
  if (current !== undefined && statusRank[update.status] < statusRank[current.status]) return;
  requests.set(update.requestId, { ...current, ...withoutUndefined(update) });
}

function withoutUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function fromView(view) {
  return {
    requestId: view.requestId,
    target: view.target,
    method: view.method,
    path: view.path,
    metadata: view.metadata,
    status: view.status,
    outcome: view.outcome,
    createdAt: Date.parse(view.createdAt),
    finishedAt: view.finishedAt === undefined ? undefined : Date.parse(view.finishedAt),
    error: view.error,
    jobState: view.jobState,
    resolved: view.resolved,
  };
}

function fromEvent(event) {
  const identity = {
    requestId: event.requestId,
    target: event.target,
    method: event.method,
    path: event.path,
    metadata: event.metadata,
  };
  if (event.type === 'request.accepted') return { ...identity, status: 'tracking', resolved: event.resolved };
  return {
    ...identity,
    status: 'completed',
    outcome: event.outcome,
    createdAt: Date.parse(event.createdAt),
    finishedAt: Date.parse(event.finishedAt),
    error: event.error,
    jobState: event.jobState,
    resolved: event.resolved,
  };
}

async function loadSnapshot() {
  batch = await fetchJson(`/v1/batches/${encodeURIComponent(batchId)}`);
  for (let offset = 0; offset < batch.total; offset += pageSize) {
    const page = await fetchJson(
      `/v1/batches/${encodeURIComponent(batchId)}/requests?offset=${offset}&limit=${pageSize}`,
    );
    for (const view of page.requests) merge(fromView(view));
  }
}

/** Resolves once the event stream is open, so that the snapshot loaded next misses nothing it tells. */
function openEvents() {
  return new Promise((resolve, reject) => {
    events = new EventSource(`/v1/events?batchId=${encodeURIComponent(batchId)}`);
    const onRequestEvent = (message) => {
      const event = parse(message.data);
      if (event?.requestId === undefined) return;
      merge(fromEvent(event));
      scheduleRender();
    };
    events.addEventListener('request.accepted', onRequestEvent);
    events.addEventListener('request.completed', onRequestEvent);
    events.addEventListener('batch.completed', () => {
      events.close();
      loadSnapshot().then(() => {
        renderHeader();
        render();
      }, fail);
    });
    events.addEventListener('open', () => {
      setConnection('live');
      resolve();
    });
    events.addEventListener('error', (message) => {
      // `event: error` from the server carries the API's error; a bare error is the connection's.
      const apiError = parse(message.data)?.error;
      if (apiError !== undefined) showMessage(`event stream: ${apiError.message}`);
      if (events.readyState === EventSource.CLOSED) {
        setConnection('disconnected');
        reject(new Error('the event stream could not be opened'));
      } else {
        setConnection('reconnecting');
      }
    });
  });
}

function parse(data) {
  try {
    return typeof data === 'string' ? JSON.parse(data) : undefined;
  } catch {
    return undefined;
  }
}

function setConnection(state) {
  document.getElementById('connection').textContent = state === 'live' ? '● live' : state;
}

/** Events can come by the hundred: render at most every 100 ms. */
function scheduleRender() {
  if (renderTimer !== undefined) return;
  renderTimer = setTimeout(() => {
    renderTimer = undefined;
    render();
  }, 100);
}

function render() {
  const counts = { waiting: 0, queued: 0, submitting: 0, tracking: 0, completed: 0 };
  for (const outcome of outcomes) counts[outcome] = 0;
  for (const request of requests.values()) {
    counts[request.status] += 1;
    if (request.status === 'completed') counts[request.outcome] += 1;
  }
  const total = batch.total;
  counts.total = total;
  for (const [name, count] of Object.entries(counts)) {
    document.getElementById(`count-${name}`).textContent = String(count);
  }
  const done = batch.done || counts.completed >= total;
  document.body.dataset.state = done ? 'complete' : 'live';
  const state = document.getElementById('batch-state');
  state.textContent = done ? 'complete' : 'running';
  state.className = `badge ${done ? 'complete' : 'running'}`;
  if (done) {
    events?.close();
    setConnection('');
  }

  const progress = document.getElementById('progress');
  progress.setAttribute('aria-valuemax', String(total));
  progress.setAttribute('aria-valuenow', String(counts.completed));
  for (const segment of progress.children) {
    const share = total === 0 ? 0 : counts[segment.dataset.outcome] / total;
    segment.style.width = `${(share * 100).toFixed(2)}%`;
  }
  const percent = total === 0 ? 100 : Math.floor((counts.completed / total) * 100);
  document.getElementById('progress-text').textContent =
    `${counts.completed} of ${total} requests completed (${percent}%)`;

  renderSlowest();
  renderFailures();
}

function requestCell(request) {
  return el('td', {}, [
    el('a', {
      href: `/v1/requests/${encodeURIComponent(request.requestId)}`,
      textContent: request.requestId.slice(0, 8),
      title: request.requestId,
      className: 'id',
    }),
  ]);
}

function callCell(request) {
  const metadata = formatMetadata(request.metadata);
  return el('td', {}, [
    el('span', { textContent: `${request.method ?? ''} ${request.path ?? ''}` }),
    el('span', {
      textContent: `${request.target ?? ''}${metadata === '' ? '' : ` · ${metadata}`}`,
      className: 'sub',
    }),
  ]);
}

/** The names the request looked up, and the keys sent in their place: one line each. */
function namesCell(request) {
  const lines = (request.resolved ?? []).map((reference) =>
    el('span', { textContent: formatResolved(reference), className: 'sub' }),
  );
  return el('td', { className: 'names' }, lines);
}

function renderSlowest() {
  const now = Date.now();
  const timed = [...requests.values()]
    .filter((request) => request.createdAt !== undefined)
    .map((request) => ({ request, ms: (request.finishedAt ?? now) - request.createdAt }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, slowestShown);
  document
    .querySelector('#slowest tbody')
    .replaceChildren(
      ...timed.map(({ request, ms }) =>
        el('tr', {}, [
          requestCell(request),
          callCell(request),
          el('td', {}, [stateBadge(request)]),
          namesCell(request),
          el('td', { textContent: formatDuration(ms), className: 'number' }),
        ]),
      ),
    );
}

function stateBadge(request) {
  const text = request.status === 'completed' ? request.outcome : request.status;
  return el('span', { textContent: text, className: `badge outcome-${text}` });
}

function renderFailures() {
  const failures = [...requests.values()]
    .filter((request) => request.status === 'completed' && failureOutcomes.has(request.outcome))
    .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
  document.getElementById('failures-count').textContent = `(${failures.length})`;
  document.querySelector('#failures tbody').replaceChildren(
    ...failures.slice(0, failuresShown).map((request) => {
      const error = request.error ?? {};
      return el('tr', {}, [
        requestCell(request),
        callCell(request),
        el('td', {}, [stateBadge(request)]),
        // A name that matched nothing or too much: the field it stood in.
        el('td', { className: 'code' }, [
          error.code ?? '',
          ...(error.field === undefined ? [] : [el('span', { textContent: error.field, className: 'sub' })]),
        ]),
        el('td', { textContent: String(error.aiqumCode ?? request.jobState?.code ?? ''), className: 'code' }),
        el('td', { textContent: String(error.httpStatus ?? '') }),
        el('td', { textContent: error.message ?? request.jobState?.message ?? '' }),
        namesCell(request),
      ]);
    }),
  );
  const more = document.getElementById('failures-more');
  more.hidden = failures.length <= failuresShown;
  more.textContent = `and ${failures.length - failuresShown} more: GET /v1/batches/${batchId}/requests`;
}

function renderHeader() {
  document.getElementById('batch-id').textContent = batchId;
  document.title = `Batch ${batchId.slice(0, 8)} · aiqum-jobs`;
  const finished = batch.finishedAt === undefined ? '' : ` · finished ${formatTime(batch.finishedAt)}`;
  document.getElementById('batch-times').textContent = `created ${formatTime(batch.createdAt)}${finished}`;
  document.getElementById('batch-metadata').textContent = formatMetadata(batch.metadata);
}

function fail(error) {
  document.body.dataset.state = 'error';
  showMessage(error.status === 404 ? `There is no batch ${batchId} (or it expired).` : String(error.message));
}

async function start() {
  // The batch first: a wrong id or an expired session shows at once, before any stream opens.
  batch = await fetchJson(`/v1/batches/${encodeURIComponent(batchId)}`);
  renderHeader();
  if (!batch.done) await openEvents();
  await loadSnapshot();
  renderHeader();
  render();
  // Running requests' times grow between events.
  setInterval(() => {
    if (document.body.dataset.state === 'live') renderSlowest();
  }, 1000);
}

start().catch(fail);
