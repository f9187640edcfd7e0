// Where faults repeat and who is out again and again: the devices, lines and transformer areas
// with N or more faults in the last 30 or 90 days (GET /api/v1/reports/repeat-faults) and the
// customers out N or more times in the period (GET /api/v1/reports/frequent-interruptions), the
// frequent-outage list that drives complaints. Both on one map and each in its table.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { reportTable } from './table.js';
import { choice, count, createSection } from './section.js';
import { createHotspotMap, legend } from './map.js';
import { zoneChoice } from './zones.js';

const FAULT_COLUMNS = [
  { key: 'code', title: 'faults.col.code', kind: 'text' },
  { key: 'name', title: 'faults.col.name', kind: 'text' },
  { key: 'level_name', title: 'faults.col.level', kind: 'text' },
  { key: 'faults', title: 'faults.col.faults', kind: 'count', missed: true },
  { key: 'severity', title: 'faults.col.severity', kind: 'count', missed: true },
  { key: 'last_fault_at', title: 'faults.col.last_fault_at', kind: 'time' },
  { key: 'incidents', title: 'faults.col.incidents', kind: 'text' },
];
const FREQUENT_COLUMNS = [
  { key: 'account_no', title: 'frequent.col.account_no', kind: 'text' },
  { key: 'zone', title: 'frequent.col.zone', kind: 'text' },
  { key: 'interruptions', title: 'frequent.col.interruptions', kind: 'count', missed: true },
  { key: 'minutes', title: 'frequent.col.minutes', kind: 'minutes' },
  { key: 'last_restored_at', title: 'frequent.col.last_restored_at', kind: 'time' },
];
const LEVELS = ['device', 'line', 'transformer_area'];

/** The map block and the two sections; `period()` gives {from, to} when they load. */
export function createHotspots(period, zones, settings) {
  const mapElement = h('div', { class: 'hotspot-map', id: 'hotspot-map' });
  const mapBlock = h('section', { class: 'report-section map-section', id: 'hotspots', 'aria-labelledby': 'hotspots-title' },
    h('header', { class: 'section-head' }, h('div', {}, h('h2', { id: 'hotspots-title' }, t('hotspots.title')),
      h('p', { class: 'lead' }, t('hotspots.lead')))),
    legend(), mapElement);
  const hotspotMap = createHotspotMap(mapElement, settings);
  hotspotMap.ready.then(() => { hotspotMap.redraw(); mapElement.dataset.ready = 'true'; });

  const faultQuery = { days: 90, min: 3, level: 'device' };
  let faultRows = [];
  let faultLoads = 0; // a newer load wins over an older one still under way
  const faults = createSection({
    id: 'repeat-faults', title: t('faults.title'), lead: t('faults.lead'),
    file: () => `repeat-faults-${faultQuery.level}-${faultQuery.days}d`,
    table: () => ({ name: t('faults.sheet'), caption: t('faults.caption', { n: faultQuery.min, days: faultQuery.days,
      level: t(`level.${faultQuery.level}`) }), columns: FAULT_COLUMNS, rows: faultRows }),
  });
  faults.controls.append(
    choice('faults-days', t('filter.days'), [30, 90].map((d) => [d, t('filter.last_days', { n: d })]), faultQuery.days,
      (value) => { faultQuery.days = Number(value); loadFaults(); }),
    choice('faults-level', t('filter.level'), LEVELS.map((l) => [l, t(`level.${l}`)]), faultQuery.level,
      (value) => { faultQuery.level = value; loadFaults(); }),
    count('faults-min', t('filter.min_faults'), faultQuery.min, (value) => { faultQuery.min = value; loadFaults(); }));

  const frequentQuery = { min: 3, zone: '' };
  let frequentRows = [];
  let frequentLoads = 0;
  const frequent = createSection({
    id: 'frequent', title: t('frequent.title'), lead: t('frequent.lead'),
    file: () => `frequent-interruptions-${period().from}-${period().to}`,
    table: () => ({ name: t('frequent.sheet'), caption: t('frequent.caption', { n: frequentQuery.min, from: period().from,
      to: period().to }), columns: FREQUENT_COLUMNS, rows: frequentRows }),
  });
  frequent.controls.append(
    count('frequent-min', t('filter.min_interruptions'), frequentQuery.min, (value) => { frequentQuery.min = value; loadFrequent(); }),
    zoneChoice('frequent-zone', zones, frequentQuery.zone, (value) => { frequentQuery.zone = value; loadFrequent(); }));

  async function loadFaults() {
    const ticket = ++faultLoads;
    faults.busy();
    let answer;
    try {
      answer = await call('GET', `/api/v1/reports/repeat-faults?${new URLSearchParams(faultQuery)}`);
    } catch (error) {
      if (ticket !== faultLoads) return;
      faultRows = [];
      hotspotMap.showFaults([]);
      faults.failed(error);
      return;
    }
    if (ticket !== faultLoads) return;
    faultRows = answer.rows.map((r) => ({ ...r, level_name: t(`level.${r.level}`) }));
    hotspotMap.showFaults(faultRows);
    fill(faults.content, reportTable({ id: 'repeat-faults-table', columns: FAULT_COLUMNS, rows: faultRows, rowKey: 'code' }));
    faults.done(t('faults.caption', { n: faultQuery.min, days: faultQuery.days, level: t(`level.${faultQuery.level}`) }));
  }

  async function loadFrequent() {
    const { from, to } = period();
    const query = new URLSearchParams({ from, to, min: frequentQuery.min });
    if (frequentQuery.zone) query.set('zone', frequentQuery.zone);
    const ticket = ++frequentLoads;
    frequent.busy();
    let answer;
    try {
      answer = await call('GET', `/api/v1/reports/frequent-interruptions?${query}`);
    } catch (error) {
      if (ticket !== frequentLoads) return;
      frequentRows = [];
      hotspotMap.showFrequent([]);
      frequent.failed(error);
      return;
    }
    if (ticket !== frequentLoads) return;
    frequentRows = answer.rows;
    hotspotMap.showFrequent(frequentRows);
    fill(frequent.content, reportTable({ id: 'frequent-table', columns: FREQUENT_COLUMNS, rows: frequentRows,
      rowKey: 'account_no' }));
    frequent.done(t('section.period', { from, to }));
  }

  return {
    elements: [mapBlock, faults.element, frequent.element],
    map: hotspotMap,
    load: () => Promise.all([loadFaults(), loadFrequent()]),
  };
}
