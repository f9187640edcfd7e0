// The incidents behind one number of the response-time report (GET /api/v1/reports/sla/incidents):
// exactly those counted in that cell, in a dialog with their times, exportable like any table.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { exportButtons } from './exports.js';
import { reportTable } from './table.js';
import { causeName } from './causes.js';

export const INCIDENT_COLUMNS = [
  { key: 'id', title: 'drill.col.id', kind: 'text' },
  { key: 'zone', title: 'drill.col.zone', kind: 'text' },
  { key: 'crew', title: 'drill.col.crew', kind: 'text' },
  { key: 'cause', title: 'drill.col.cause', kind: 'text' },
  { key: 'received_at', title: 'drill.col.received_at', kind: 'time' },
  { key: 'on_site_at', title: 'drill.col.on_site_at', kind: 'time' },
  { key: 'restored_at', title: 'drill.col.restored_at', kind: 'time' },
  { key: 'arrival_min', title: 'drill.col.arrival_min', kind: 'minutes' },
  { key: 'restoration_min', title: 'drill.col.restoration_min', kind: 'minutes' },
  { key: 'status', title: 'drill.col.status', kind: 'text' },
];

let dialog = null;
let shown = { incidents: [], heading: '', file: 'incidents' };

function createDialog() {
  const status = h('p', { class: 'status', role: 'status', id: 'drilldown-status' });
  const content = h('div', { class: 'drill-content', id: 'drilldown-content' });
  const heading = h('h2', { id: 'drilldown-title' });
  const close = h('button', { type: 'button', class: 'close', id: 'drilldown-close', onclick: () => dialog.close(),
    'aria-label': t('drill.close') }, '×');
  const exports = exportButtons('drilldown', () => shown.file, () => ({ name: t('drill.sheet'), caption: shown.heading,
    columns: INCIDENT_COLUMNS, rows: shown.incidents }), (error) => { status.textContent = error.message; });
  dialog = h('dialog', { id: 'drilldown', class: 'drilldown', 'aria-labelledby': 'drilldown-title' },
    h('header', { class: 'dialog-head' }, heading, exports, close), status, content);
  document.body.append(dialog);
  return { heading, status, content };
}

let parts = null;

/** Open the list for one cell: {from, to, groupBy, group (null: the total), measure, title, where}. */
export async function openDrilldown({ from, to, groupBy, group, measure, title, where }) {
  parts ??= createDialog();
  shown = { incidents: [], heading: `${title} · ${where} · ${from} – ${to}`, file: `incidents-${measure}-${from}-${to}` };
  parts.heading.textContent = shown.heading;
  parts.status.textContent = t('section.loading');
  fill(parts.content);
  dialog.dataset.measure = measure;
  dialog.dataset.group = group ?? '';
  if (!dialog.open) dialog.showModal();
  const query = new URLSearchParams({ from, to, group_by: groupBy, measure });
  if (group !== null) query.set('group', group);
  try {
    const answer = await call('GET', `/api/v1/reports/sla/incidents?${query}`);
    shown.incidents = answer.incidents.map((incident) => ({ ...incident, status: t(`status.${incident.status}`),
      cause: causeName(incident.cause) }));
  } catch (error) {
    parts.status.textContent = error.message;
    return;
  }
  parts.status.textContent = t('drill.count', { n: shown.incidents.length });
  fill(parts.content, reportTable({ id: 'drilldown-table', columns: INCIDENT_COLUMNS, rows: shown.incidents, rowKey: 'id' }));
}
