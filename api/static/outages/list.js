// The list beside the map: every outage with its area, customers out, since when, progress, cause
// and estimated restoration (or when power came back). A row's click shows it on the map.

import { h, fill } from './common/dom.js';
import { formatTime, language, number, t } from './common/i18n.js';

/** The words for where an outage is: its zone and how many transformer areas it covers. */
export function where(p) {
  const zone = p.zone_name || p.zone;
  const parts = [zone && t('where.zone', { zone })];
  if (p.area === 'transformers') parts.push(t('where.transformers', { n: p.transformers }));
  return parts.filter(Boolean).join(' · ') || t('where.unknown');
}

export function statusOf(p) {
  return p.reopened ? 'reopened' : p.status;
}

export function createList(root, { timeZone, onSelect }) {
  const list = h('ol', { class: 'outage-list', id: 'outage-list' });
  fill(root, list);
  const time = (iso) => formatTime(iso, { timeZone, withDate: true });

  function row(feature, selected) {
    const p = feature.properties;
    const status = statusOf(p);
    const facts = [
      [t('field.customers'), number(p.customers_out)],
      p.status !== 'upcoming' && [t('field.since'), time(p.since)], // work to come: its window says when
      p.reopened && [t('field.reopened'), time(p.restored_before_at)],
      p.planned && [t('field.window'), t('window', { start: time(p.window_start), end: time(p.window_end) })],
      p.stage && [t('field.stage'), t(`stage.${p.stage}`)],
      p.cause_label && [t('field.cause'), p.cause_label[language()] ?? p.cause_label.en],
      p.status === 'out' && [t('field.etr'), p.etr ? time(p.etr) : t('etr.unknown')],
      p.status === 'restored' && [t('field.restored'), time(p.restored_at)],
    ].filter(Boolean);
    return h('li', {
      class: `outage status-${p.status}${p.reopened ? ' reopened' : ''}${selected ? ' selected' : ''}`,
      dataset: { outage: feature.id, status }, tabindex: 0, role: 'button',
      onclick: () => onSelect(feature.id),
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); onSelect(feature.id); } },
    },
    h('div', { class: 'head' }, h('span', { class: 'where' }, where(p)),
      h('span', { class: `tag ${status}` }, t(`status.${status}`))),
    h('dl', {}, facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])));
  }

  return {
    render(features, selected) {
      // Out first (the longest out at the top), then planned work to come (the soonest first), then
      // restored, the latest first.
      const rank = (p) => ({ out: 0, upcoming: 1 })[p.status] ?? 2;
      const ordered = [...features].sort((a, b) => rank(a.properties) - rank(b.properties)
        || (a.properties.status === 'out' ? a.properties.since.localeCompare(b.properties.since)
          : a.properties.status === 'upcoming' ? a.properties.window_start.localeCompare(b.properties.window_start)
            : b.properties.restored_at.localeCompare(a.properties.restored_at)));
      fill(list, ordered.length ? ordered.map((f) => row(f, f.id === selected)) : h('li', { class: 'empty' }, t('list.none')));
      list.querySelector('.selected')?.scrollIntoView({ block: 'nearest' });
    },
  };
}
