// Reliability indices for the period (GET /api/v1/reports/reliability): IEEE 1366 (SAIFI, SAIDI,
// CAIDI, ...) and DL/T 836 (RS-1, RS-3, ...), each with and without major event days and planned
// interruptions, and what they were computed on: customers served, the major event threshold and
// the days above it, the momentary threshold.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { reportTable } from './table.js';
import { createSection } from './section.js';
import { shown } from './format.js';
import { zoneChoice } from './zones.js';
import en from './i18n/en.js';

const COLUMNS = [
  { key: 'index', title: 'rel.col.index', kind: 'text' },
  { key: 'name', title: 'rel.col.name', kind: 'text' },
  { key: 'value', title: 'rel.col.value', kind: 'value' },
  { key: 'value_without_major_events', title: 'rel.col.without_major_events', kind: 'value' },
  { key: 'value_without_planned', title: 'rel.col.without_planned', kind: 'value' },
  { key: 'value_without_both', title: 'rel.col.without_both', kind: 'value' },
  { key: 'unit', title: 'rel.col.unit', kind: 'text' },
];

/** A text from the catalogs when they have one, else the server's own word. */
function named(prefix, word) {
  return word && `${prefix}.${word}` in en ? t(`${prefix}.${word}`) : word;
}

/** An index's name in words: CEMI-n takes its n ("CEMI-3": more than 3 interruptions). */
function indexName(index) {
  const cemi = /^CEMI-(\d+)$/.exec(index ?? '');
  return cemi ? t('index.CEMI', { n: cemi[1] }) : named('index', index) ?? '';
}

/** "min/customer" -> the catalog's unit.min_customer; a share is shown as a percentage. */
function unitName(unit) {
  if (!unit) return '';
  if (unit === 'share') return '%';
  const key = `unit.${unit.replace(/\W+/g, '_')}`;
  return key in en ? t(key) : unit;
}

const VALUES = ['value', 'value_without_major_events', 'value_without_planned', 'value_without_both'];

/** T_MED of each reporting year the period touches ("2023: 10.9 min/customer; 2024: ..."). */
function thresholds(report) {
  const threshold = (value) => (value == null ? t('rel.no_threshold')
    : t('rel.minutes_per_customer', { n: shown(value, 'value') }));
  const years = report.major_event_thresholds ?? [];
  if (years.length <= 1) return threshold(report.major_event_threshold_min);
  return years.map((year) => `${year.year}: ${threshold(year.threshold_min)}`).join('; ');
}

function basis(report) {
  const fact = (label, value) => h('div', {}, h('dt', {}, label), h('dd', {}, value));
  const days = report.major_event_days ?? [];
  return h('dl', { class: 'facts', id: 'reliability-basis' },
    fact(t('rel.customers_served'), shown(report.customers_served, 'count')),
    fact(t('rel.major_event_threshold'), thresholds(report)),
    fact(t('rel.major_event_days'), days.length ? days.join(', ') : t('rel.none')),
    fact(t('rel.momentary_threshold'), t('rel.seconds', { n: shown(report.momentary_threshold_s, 'count') })),
    report.basis ? fact(t('rel.basis'), typeof report.basis === 'string' ? named('basis', report.basis)
      : JSON.stringify(report.basis)) : null);
}

/** The section; `period()` gives {from, to} when it loads. */
export function createReliability(period, zones) {
  let zone = '';
  let rows = [];
  let loads = 0; // a newer load wins over an older one still under way
  const section = createSection({
    id: 'reliability', title: t('rel.title'), lead: t('rel.lead'),
    file: () => `reliability-${zone || 'all'}-${period().from}-${period().to}`,
    table: () => ({ name: t('rel.sheet'), caption: `${t('rel.title')} ${zone || t('filter.all_zones')} ${period().from} – ${period().to}`,
      columns: COLUMNS, rows }),
  });
  section.controls.append(zoneChoice('reliability-zone', zones, zone, (value) => { zone = value; load(); }));

  async function load() {
    const { from, to } = period();
    const query = new URLSearchParams({ from, to });
    if (zone) query.set('zone', zone);
    const ticket = ++loads;
    section.busy();
    let report;
    try {
      report = await call('GET', `/api/v1/reports/reliability?${query}`);
    } catch (error) {
      if (ticket !== loads) return;
      rows = [];
      section.failed(error);
      return;
    }
    if (ticket !== loads) return;
    rows = report.rows.map((row) => ({ ...row, name: indexName(row.index), unit: unitName(row.unit),
      // A share (ASAI, RS-1, CEMI) reads as a percentage with its small differences: 99.9871 %.
      kinds: row.unit === 'share' ? Object.fromEntries(VALUES.map((v) => [v, 'fine_share'])) : undefined }));
    fill(section.content, reportTable({ id: 'reliability-table', columns: COLUMNS, rows, rowKey: 'index' }), basis(report));
    section.done(t('section.period', { from, to }));
  }

  return { element: section.element, load };
}
