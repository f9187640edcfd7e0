// The response-time report: per zone (or class, crew, depot, cause, day, week, month) how many
// incidents, how many crews arrived and how many restorations came within the company's commitment
// and within the regulator's limit, how long they took (average, median, 90th percentile), and the
// incidents behind every count (drilldown.js). A chart of arrivals met and missed above the table.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { reportTable } from './table.js';
import { choice, createSection } from './section.js';
import { barChart } from './charts.js';
import { openDrilldown } from './drilldown.js';
import { shown } from './format.js';
import { withCauseLabels } from './causes.js';

/** Zone classes from the most demanding target (dispatch/gis/models.py ZONE_CLASSES). */
const ZONE_CLASSES = ['urban', 'rural', 'remote'];
export const GROUP_BY = ['zone', 'zone_class', 'crew', 'depot', 'cause', 'day', 'week', 'month'];
const ARRIVAL = 'sla.group.arrival';
const REGULATOR = 'sla.group.regulator';
const RESTORATION = 'sla.group.restoration';
const WORK = 'sla.group.work';
/** The report's columns, in the contract's order. `drill`: the count stands for incidents. */
export const COLUMNS = [
  { key: 'label', title: 'sla.col.label', kind: 'text' },
  { key: 'incidents', title: 'sla.col.incidents', kind: 'count', drill: true },
  { key: 'arrival_met', title: 'sla.col.met', kind: 'count', group: ARRIVAL, drill: true, good: true },
  { key: 'arrival_missed', title: 'sla.col.missed', kind: 'count', group: ARRIVAL, drill: true, missed: true },
  { key: 'arrival_on_time_share', title: 'sla.col.on_time', kind: 'share', group: ARRIVAL },
  { key: 'arrival_avg_min', title: 'sla.col.avg_min', kind: 'minutes', group: ARRIVAL },
  { key: 'arrival_p50_min', title: 'sla.col.p50_min', kind: 'minutes', group: ARRIVAL },
  { key: 'arrival_p90_min', title: 'sla.col.p90_min', kind: 'minutes', group: ARRIVAL },
  { key: 'regulator_arrival_met', title: 'sla.col.met', kind: 'count', group: REGULATOR, drill: true, good: true },
  { key: 'regulator_arrival_missed', title: 'sla.col.missed', kind: 'count', group: REGULATOR, drill: true, missed: true },
  { key: 'restoration_met', title: 'sla.col.met', kind: 'count', group: RESTORATION, drill: true, good: true },
  { key: 'restoration_missed', title: 'sla.col.missed', kind: 'count', group: RESTORATION, drill: true, missed: true },
  { key: 'restoration_avg_min', title: 'sla.col.avg_min', kind: 'minutes', group: RESTORATION },
  { key: 'restoration_p50_min', title: 'sla.col.p50_min', kind: 'minutes', group: RESTORATION },
  { key: 'restoration_p90_min', title: 'sla.col.p90_min', kind: 'minutes', group: RESTORATION },
  { key: 'open_at_end', title: 'sla.col.open_at_end', kind: 'count', group: WORK, drill: true },
  { key: 'unverified_arrivals', title: 'sla.col.unverified', kind: 'count', group: WORK, drill: true },
  { key: 'reassignments', title: 'sla.col.reassignments', kind: 'count', group: WORK, drill: true },
  { key: 'dispatch_p50_min', title: 'sla.col.dispatch_p50_min', kind: 'minutes', group: WORK },
  { key: 'calls', title: 'sla.col.calls', kind: 'count', group: WORK },
  { key: 'merged_calls', title: 'sla.col.merged_calls', kind: 'count', group: WORK },
  { key: 'merge_rate', title: 'sla.col.merge_rate', kind: 'share', group: WORK },
];

/** The targets as configured, one line per zone class: what "met" was measured against. */
function targetsNote(targets) {
  if (!targets) return null;
  const order = (c) => (ZONE_CLASSES.includes(c) ? ZONE_CLASSES.indexOf(c) : ZONE_CLASSES.length);
  const classes = Object.entries(targets).sort(([a], [b]) => order(a) - order(b));
  return h('ul', { class: 'targets', id: 'sla-targets' }, classes.map(([zoneClass, minutes]) =>
    h('li', {}, h('b', {}, t(`zone_class.${zoneClass}`)), ' ', t('sla.targets', {
      arrival: shown(minutes.arrival_commitment_min, 'count'),
      regulator: shown(minutes.arrival_regulator_min, 'count'),
      restoration: shown(minutes.restoration_commitment_min, 'count') }))));
}

/** The section; `period()` gives {from, to} when it loads. */
export function createSla(period) {
  let groupBy = 'zone';
  let report = null;
  let loads = 0; // a newer load wins over an older one still under way
  const title = () => `${t('sla.title')} · ${t(`group_by.${groupBy}`)}`;
  const section = createSection({
    id: 'sla', title: t('sla.title'), lead: t('sla.lead'),
    file: () => `sla-${groupBy}-${period().from}-${period().to}`,
    table: () => ({ name: t('sla.sheet'), caption: `${title()} ${period().from} – ${period().to}`,
      columns: COLUMNS, rows: report?.rows ?? [], total: report?.total && { label: t('table.total'), ...report.total } }),
  });
  const chart = h('div', { class: 'chart', id: 'sla-chart' });
  const notes = h('div', { class: 'notes' });
  const table = h('div');
  fill(section.content, chart, table, notes);
  section.controls.append(choice('sla-group-by', t('filter.group_by'),
    GROUP_BY.map((g) => [g, t(`group_by.${g}`)]), groupBy, (value) => { groupBy = value; load(); }));

  function drill(row, column) {
    const { from, to } = period();
    openDrilldown({ from, to, groupBy, group: row.group ?? null, measure: column.key,
      title: `${column.group ? `${t(column.group)} · ` : ''}${t(column.title)}`,
      where: row.group === undefined ? t('table.total') : row.label });
  }

  async function load() {
    const { from, to } = period();
    const ticket = ++loads;
    section.busy();
    let answer;
    try {
      answer = await call('GET', `/api/v1/reports/sla?${new URLSearchParams({ from, to, group_by: groupBy })}`);
    } catch (error) {
      if (ticket !== loads) return;
      report = null;
      section.failed(error);
      return;
    }
    if (ticket !== loads) return;
    report = { ...answer, rows: withCauseLabels(answer.rows, groupBy) };
    const total = report.total && { label: t('table.total'), ...report.total };
    fill(table, reportTable({ id: 'sla-table', columns: COLUMNS, rows: report.rows, total, onDrill: drill,
      drillTotal: true }));
    fill(notes, targetsNote(report.targets), h('p', { class: 'muted' }, t('sla.notes', { zone: report.timezone ?? '' })));
    barChart(chart, {
      categories: report.rows.map((r) => r.label),
      series: [
        { name: t('chart.arrival_met'), data: report.rows.map((r) => r.arrival_met), colour: '#15803d', stack: 'arrival' },
        { name: t('chart.arrival_missed'), data: report.rows.map((r) => r.arrival_missed), colour: '#dc2626', stack: 'arrival' },
        { name: t('chart.restoration_met'), data: report.rows.map((r) => r.restoration_met), colour: '#65a30d', stack: 'restoration' },
        { name: t('chart.restoration_missed'), data: report.rows.map((r) => r.restoration_missed), colour: '#f97316', stack: 'restoration' },
      ],
      axis: t('chart.incidents'),
    });
    section.done(t('section.period', { from: report.from ?? from, to: report.to ?? to }));
  }

  return { element: section.element, load };
}
