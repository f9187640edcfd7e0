// The incident list beside the map: open incidents by urgency (hazards, critical customers, least
// slack), each with a deadline countdown ticking every second, its SLA state, customers out,
// calls, crew, ETA and estimated restoration; filters by zone, status and SLA state; a search box (incident, account,
// phone, address: the server's q=, or the incident number where the server has no search).

import { call } from './api.js';
import { h, fill } from './common/dom.js';
import { number, t } from './common/i18n.js';
import {
  OPEN, SLA_STATES, byUrgency, countdown, deadline, deskTime, deviceLabel, etrBasis, labelOr, minutes, slaLabel, slaState, statusLabel,
  toldLabel,
} from './incidents.js';
import { changed, state } from './state.js';

const SEARCH_DELAY_MS = 300;

/** The list's panel in `root`; `onSelect(id)` when a row is clicked. Returns {render(), tick()}. */
export function createList(root, { onSelect }) {
  const zone = h('select', { id: 'filter-zone', 'aria-label': t('list.zone') });
  const status = h('select', { id: 'filter-status', 'aria-label': t('list.status') });
  const sla = h('select', { id: 'filter-sla', 'aria-label': t('list.sla') });
  const search = h('input', { id: 'search', type: 'search', placeholder: t('list.search'), autocomplete: 'off',
    value: state.filters.q });
  const summary = h('div', { class: 'list-summary', role: 'status' });
  const rows = h('ol', { class: 'incident-list', id: 'incident-list' });
  fill(root, h('div', { class: 'filters' }, search, h('div', { class: 'filter-row' }, zone, status, sla)), summary, rows);

  function options(select, values, label, current) {
    fill(select, h('option', { value: '' }, label), values.map(([value, text]) => h('option', { value, selected: value === current }, text)));
  }

  for (const [select, key] of [[zone, 'zone'], [status, 'status'], [sla, 'sla']]) {
    select.addEventListener('change', () => {
      state.filters[key] = select.value;
      changed('filters');
    });
  }

  let timer = null;
  let asked = 0;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => find(search.value.trim()), SEARCH_DELAY_MS);
  });

  async function find(q) {
    state.filters.q = q;
    const mine = ++asked;
    if (!q) {
      state.matches = null;
    } else {
      try {
        const answer = await call('GET', `/api/v1/incidents?q=${encodeURIComponent(q)}&limit=500`);
        if (mine !== asked) return;
        state.matches = new Set(answer.incidents.map((i) => i.id));
      } catch {
        // A server without search (q= unknown): the incident number, here.
        state.matches = new Set([...state.incidents.keys()].filter((id) => String(id).includes(q.replace(/^#/, ''))));
      }
    }
    changed('filters');
  }

  function shown(now) {
    const f = state.filters;
    return [...state.incidents.values()].filter((i) => (f.status ? i.status === f.status : OPEN.includes(i.status))
      && (!f.zone || i.zone === f.zone)
      && (!f.sla || slaState(i, now) === f.sla)
      && (!state.matches || state.matches.has(i.id))).sort((a, b) => byUrgency(a, b, now));
  }

  function row(incident, now) {
    const sla = slaState(incident, now) ?? 'none';
    const due = deadline(incident);
    const clock = countdown(due, now);
    const crew = incident.crew
      ? h('span', { class: 'crew' }, incident.crew, incident.eta_s && !incident.on_site_at ? ` · ${minutes(incident.eta_s)}` : '')
      : incident.queued_for ? h('span', { class: 'crew queued' }, t('list.queued_for', { crew: incident.queued_for }))
        : h('span', { class: 'crew none' }, incident.no_qualified_crew ? t('list.no_qualified_crew') : t('list.no_crew'));
    return h('li', {
      class: `incident sla-${sla}${incident.id === state.selected ? ' selected' : ''}${incident.hazard ? ' hazard' : ''}`,
      dataset: { incident: incident.id, sla, status: incident.status },
      tabindex: 0, role: 'button', 'aria-pressed': String(incident.id === state.selected),
      onclick: () => onSelect(incident.id),
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); onSelect(incident.id); } },
    },
    h('div', { class: 'line1' },
      h('span', { class: 'id' }, `#${incident.id}`),
      incident.hazard && h('span', { class: 'tag hazard' }, t('incident.hazard')),
      incident.critical_customers > 0 && h('span', { class: 'tag critical' }, t('incident.critical')),
      h('span', { class: `tag status status-${incident.status}` }, statusLabel(incident.status)),
      incident.customer_side && h('span', { class: 'tag customer-side', title: labelOr('customer_side.reason', incident.customer_side) },
        t('list.customer_side', { time: deskTime(incident.arrival_deadline) }))),
    h('div', { class: 'when' },
      h('span', { class: `countdown${clock.late ? ' late' : ''}`, dataset: { deadline: due ?? '' },
        title: incident.on_site_at ? t('list.restore_by') : t('list.arrive_by') }, clock.text),
      h('span', { class: `sla sla-${sla}` }, slaLabel(sla === 'none' ? null : sla)),
      incident.warning && h('span', { class: 'warned', title: t('list.warned_hint') },
        t('list.warned', { percent: incident.warning.percent, told: toldLabel(incident.warning) }))),
    h('div', { class: 'line2' },
      h('span', { class: 'device' }, deviceLabel(incident.device)),
      incident.zone && h('span', { class: 'zone' }, incident.zone)),
    h('div', { class: 'line3' },
      h('span', { class: 'out', title: t('list.customers_out') }, t('list.out', { n: number(incident.customers_affected ?? 0) })),
      h('span', { class: 'calls' }, t('list.calls', { n: incident.report_count ?? 0 })),
      crew,
      incident.etr_at && !incident.restored_at && h('span', { class: 'etr', title: etrBasis(incident.etr_basis) },
        t('list.etr', { time: deskTime(incident.etr_at) }))));
  }

  function render(now = Date.now()) {
    const zones = [...new Set([...state.incidents.values()].map((i) => i.zone).filter(Boolean))].sort();
    options(zone, zones.map((z) => [z, z]), t('list.all_zones'), state.filters.zone);
    options(status, [...OPEN, 'restored'].map((s) => [s, statusLabel(s)]), t('list.open_statuses'), state.filters.status);
    options(sla, SLA_STATES.map((s) => [s, slaLabel(s)]), t('list.all_sla'), state.filters.sla);
    const list = shown(now);
    const overdue = list.filter((i) => slaState(i, now) === 'breached').length;
    fill(summary, t('list.summary', { n: list.length, overdue }));
    fill(rows, list.length ? list.map((i) => row(i, now))
      : h('li', { class: 'empty' }, state.filters.q || state.filters.zone || state.filters.status || state.filters.sla
        ? t('list.none_match') : t('list.none_open')));
    rows.querySelector('.selected')?.scrollIntoView({ block: 'nearest' });
  }

  /** Every second: the countdowns only (the order follows at the next change). */
  function tick(now = Date.now()) {
    for (const element of rows.querySelectorAll('.countdown')) {
      const clock = countdown(element.dataset.deadline || null, now);
      element.textContent = clock.text;
      element.classList.toggle('late', clock.late);
    }
  }

  return { render, tick };
}
