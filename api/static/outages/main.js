// The public outage map: a bar with the totals and the language, the map, and the list of outages
// beside it (under it on a phone). It reads the public feed (GET /api/v1/public/outages, the same
// for everyone, kept by the server and by the browser for a few seconds) and again every minute.
// No sign-in, and nothing in it about any person.

import { h, fill } from './common/dom.js';
import { formatTime, languageEvents, languageSwitch, number, t, useCatalogs } from './common/i18n.js';
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';
import { createList } from './list.js';
import { createMap } from './map.js';

useCatalogs({ en, 'zh-CN': zhCN });

const REFRESH_MS = 60_000;
const app = document.getElementById('app');
/** A testing handle: the last feed and the map. */
window.outages = { feed: null, map: null };

let feed = null;
let selected = null;
let mapView = null;
let list = null;
const bar = h('header', { class: 'bar' });
const side = h('aside', { class: 'side' });
const mapBox = h('div', { id: 'map', role: 'region' });

function renderBar() {
  document.title = t('app.title');
  const totals = feed?.totals;
  fill(bar, h('h1', {}, t('app.title')),
    totals && h('span', { class: 'totals', id: 'totals' },
      `${t('totals.out', { n: totals.outages })} · ${t('totals.customers', { n: number(totals.customers_out) })}`),
    feed && h('span', { class: 'updated', id: 'updated' },
      t('updated', { time: formatTime(feed.generated_at, { timeZone: feed.map.timezone, withDate: true }) })),
    languageSwitch());
  mapBox.setAttribute('aria-label', t('app.title'));
}

function renderSide(problem) {
  const legend = h('div', { class: 'legend' }, ['out', 'reopened', 'upcoming', 'restored'].map((s) => h('span', { class: s }, t(`legend.${s}`))));
  const listBox = h('div', {});
  fill(side, legend, problem ? h('p', { class: 'problem', role: 'alert' }, t('list.problem')) : null, listBox);
  list = createList(listBox, { timeZone: feed?.map.timezone, onSelect: select });
  if (feed) list.render(feed.features, selected);
}

function select(id) {
  selected = id;
  list.render(feed.features, selected);
  mapView.show(feed.features, selected);
  mapView.focus(id);
}

async function load() {
  try {
    const response = await fetch('/api/v1/public/outages', { headers: { Accept: 'application/geo+json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    feed = await response.json();
    window.outages.feed = feed;
    if (!mapView) {
      mapView = createMap(mapBox, { bounds: feed.map.bounds, basemap: feed.map.basemap_url, onSelect: select });
      window.outages.map = mapView.map;
    }
    renderBar();
    renderSide(false);
    mapView.show(feed.features, selected);
    app.setAttribute('data-loaded', 'true');
  } catch {
    renderSide(true);
  }
}

fill(app, bar, h('main', { class: 'body' }, mapBox, side));
renderBar();
languageEvents.addEventListener('change', () => { renderBar(); renderSide(false); mapView?.showLanguage(); });
load();
setInterval(load, REFRESH_MS);
