// The wall screen (/desk/#wall): large type and no controls, for a screen across the room. Open
// and overdue incidents, crews on the way and on site, customers out; kept current like the desk.

import { h, fill } from './common/dom.js';
import { number, t } from './common/i18n.js';
import { OPEN, byUrgency, countdown, deadline, deskTime, deviceLabel, slaLabel, slaState, statusLabel } from './incidents.js';
import { changes, state } from './state.js';
import { start as startLive } from './live.js';

const ROWS = 14;

export function createWall(root) {
  document.body.classList.add('wall-screen');
  document.title = t('wall.title');
  const head = h('header', { class: 'wall-head' });
  const incidents = h('section', { class: 'wall-incidents' });
  const crews = h('section', { class: 'wall-crews' });
  fill(root, head, h('div', { class: 'wall-body' }, incidents, crews));

  function render(now = Date.now()) {
    const open = [...state.incidents.values()].filter((i) => OPEN.includes(i.status)).sort((a, b) => byUrgency(a, b, now));
    const overdue = open.filter((i) => slaState(i, now) === 'breached');
    const out = open.reduce((sum, i) => sum + (i.customers_affected ?? 0), 0);
    const all = [...state.crews.values()];
    const onTheWay = all.filter((c) => ['assigned', 'accepted', 'en_route'].includes(c.status));
    const onSite = all.filter((c) => c.status === 'on_site');
    const big = (id, value, label, kind = '') => h('div', { class: `big-number ${kind}`, id }, h('b', {}, value), h('span', {}, label));
    fill(head,
      h('h1', {}, t('wall.title')),
      big('wall-open', number(open.length), t('wall.open')),
      big('wall-overdue', number(overdue.length), t('wall.overdue'), overdue.length ? 'bad' : ''),
      big('wall-out', number(out), t('wall.customers_out')),
      big('wall-on-the-way', number(onTheWay.length), t('wall.on_the_way')),
      big('wall-on-site', number(onSite.length), t('wall.on_site')),
      h('time', { class: 'wall-clock' }, deskTime(new Date(now).toISOString(), { seconds: true })));
    fill(incidents, h('h2', {}, t('wall.most_urgent')),
      h('table', {}, h('tbody', {}, open.slice(0, ROWS).map((i) => {
        const sla = slaState(i, now) ?? 'none';
        const clock = countdown(deadline(i), now);
        return h('tr', { class: `sla-${sla}`, dataset: { incident: i.id } },
          h('td', { class: 'id' }, `#${i.id}`, i.hazard ? h('span', { class: 'tag hazard' }, t('incident.hazard')) : null),
          h('td', {}, deviceLabel(i.device)),
          h('td', {}, statusLabel(i.status)),
          h('td', { class: `sla sla-${sla}` }, slaLabel(sla === 'none' ? null : sla)),
          h('td', { class: `countdown${clock.late ? ' late' : ''}` }, clock.text),
          h('td', { class: 'num' }, t('list.out', { n: number(i.customers_affected ?? 0) })),
          h('td', {}, i.crew ?? '—'));
      }))),
      open.length > ROWS && h('p', { class: 'more' }, t('wall.more', { n: open.length - ROWS })));
    fill(crews, h('h2', {}, t('wall.crews')),
      h('ul', {}, [...onSite, ...onTheWay].map((c) => h('li', { class: `crew-${c.status}` },
        h('b', {}, c.code), ` ${t(`crew_status.${c.status}`)}`, c.incident ? ` → #${c.incident}` : '',
        c.stale ? h('span', { class: 'tag stale' }, t('crew.stale')) : null))));
  }

  changes.addEventListener('change', () => render());
  setInterval(render, 1000);
  render();
  startLive().catch(() => setTimeout(() => location.reload(), 10000));
}
