// Complaints (GET /api/v1/reports/complaints): calls that were complaints, by what about (a late
// arrival, a repeat outage, no notice of a planned one, other), per zone or cause, and the
// complaint rate per 1,000 calls that the supply stations are judged by.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { reportTable } from './table.js';
import { choice, createSection } from './section.js';
import { barChart } from './charts.js';
import { withCauseLabels } from './causes.js';

const COLUMNS = [
  { key: 'label', title: 'complaints.col.label', kind: 'text' },
  { key: 'complaints', title: 'complaints.col.complaints', kind: 'count', missed: true },
  { key: 'late_arrival', title: 'complaints.col.late_arrival', kind: 'count', group: 'complaints.group.about' },
  { key: 'repeat_outage', title: 'complaints.col.repeat_outage', kind: 'count', group: 'complaints.group.about' },
  { key: 'no_notice', title: 'complaints.col.no_notice', kind: 'count', group: 'complaints.group.about' },
  { key: 'other', title: 'complaints.col.other', kind: 'count', group: 'complaints.group.about' },
  { key: 'calls', title: 'complaints.col.calls', kind: 'count' },
  { key: 'complaint_rate', title: 'complaints.col.rate', kind: 'value' },
];
const KINDS = [['late_arrival', '#dc2626'], ['repeat_outage', '#f97316'], ['no_notice', '#7c3aed'], ['other', '#64748b']];

/** The section; `period()` gives {from, to} when it loads. */
export function createComplaints(period) {
  let groupBy = 'zone';
  let report = null;
  let loads = 0; // a newer load wins over an older one still under way
  const section = createSection({
    id: 'complaints', title: t('complaints.title'), lead: t('complaints.lead'),
    file: () => `complaints-${groupBy}-${period().from}-${period().to}`,
    table: () => ({ name: t('complaints.sheet'), caption: `${t('complaints.title')} ${period().from} – ${period().to}`,
      columns: COLUMNS, rows: report?.rows ?? [], total: report?.total && { label: t('table.total'), ...report.total } }),
  });
  const chart = h('div', { class: 'chart', id: 'complaints-chart' });
  const table = h('div');
  fill(section.content, chart, table);
  section.controls.append(choice('complaints-group-by', t('filter.group_by'),
    ['zone', 'cause'].map((g) => [g, t(`group_by.${g}`)]), groupBy, (value) => { groupBy = value; load(); }));

  async function load() {
    const { from, to } = period();
    const ticket = ++loads;
    section.busy();
    let answer;
    try {
      answer = await call('GET', `/api/v1/reports/complaints?${new URLSearchParams({ from, to, group_by: groupBy })}`);
    } catch (error) {
      if (ticket !== loads) return;
      report = null;
      section.failed(error);
      return;
    }
    if (ticket !== loads) return;
    report = { ...answer, rows: withCauseLabels(answer.rows, groupBy) };
    fill(table, reportTable({ id: 'complaints-table', columns: COLUMNS, rows: report.rows,
      total: report.total && { label: t('table.total'), ...report.total } }));
    barChart(chart, {
      categories: report.rows.map((r) => r.label),
      series: KINDS.map(([kind, colour]) => ({ name: t(`complaints.col.${kind}`), data: report.rows.map((r) => r[kind]),
        colour, stack: 'complaints' })),
      axis: t('chart.complaints'),
    });
    section.done(t('section.period', { from, to }));
  }

  return { element: section.element, load };
}
