// The index page: the recently active batches, and a form to open one by id.
import { el, fetchJson, formatMetadata, formatTime, outcomes, showMessage } from './shared.js';

document.getElementById('open-batch').addEventListener('submit', (event) => {
  event.preventDefault();
  const batchId = document.getElementById('batch-id').value.trim();
  location.assign(`/dashboard/batches/${encodeURIComponent(batchId)}`);
});

function row(batch) {
  const completed = batch.byStatus.completed;
  const percent = batch.total === 0 ? 100 : Math.floor((completed / batch.total) * 100);
  const counted = outcomes
    .filter((outcome) => (batch.byOutcome[outcome] ?? 0) > 0)
    .map((outcome) =>
      el('span', {
        textContent: `${outcome} ${batch.byOutcome[outcome]}`,
        className: `badge outcome-${outcome}`,
      }),
    );
  return el('tr', {}, [
    el('td', {}, [
      el('a', {
        href: `/dashboard/batches/${encodeURIComponent(batch.batchId)}`,
        textContent: batch.batchId,
        className: 'id',
      }),
      el('span', { textContent: formatMetadata(batch.metadata), className: 'sub' }),
    ]),
    el('td', { textContent: formatTime(batch.createdAt) }),
    el('td', { textContent: String(batch.total), className: 'number' }),
    el('td', { textContent: batch.done ? 'complete' : `${percent}%` }),
    el('td', {}, counted),
  ]);
}

async function start() {
  const { batches } = await fetchJson('/v1/batches?limit=20');
  document.querySelector('#batches tbody').replaceChildren(...batches.map(row));
  if (batches.length === 0) showMessage('No batch has had events recently.');
  document.body.dataset.state = 'complete';
}

start().catch((error) => {
  document.body.dataset.state = 'error';
  showMessage(String(error.message));
});
