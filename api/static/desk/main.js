// The dispatcher's console: sign-in, then the map with the incident list beside it and the
// incident's detail when one is selected; the bar on top with the desk's clock, the totals, the
// live status, the tools and the language. /desk/#wall is the wall screen (wall.js).

import { ProblemError, call, canAct, clearSession, currentSession, DESK_ROLES, saveSession, sessionEvents } from './api.js';
import { h, fill } from './common/dom.js';
import { signInScreen as renderSignIn } from './common/signin.js';
import { languageEvents, languageSwitch, number, t, useCatalogs } from './common/i18n.js';
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';
import { deskTime, OPEN, slaState, useDeskSettings } from './incidents.js';
import { changes, changed, select, state } from './state.js';
import { liveEvents, loadAll, loadClosures, start as startLive, stop as stopLive } from './live.js';
import { createMap } from './map.js';
import { createList } from './list.js';
import { createDetail } from './detail.js';
import { createAlerts } from './alerts.js';
import { createCallbacks } from './callbacks.js';
import { createTools } from './tools.js';
import { createSwitching } from './switching.js';
import { createWall } from './wall.js';

useCatalogs({ en, 'zh-CN': zhCN });

const app = document.getElementById('app');
const ROUTE_REFRESH_MS = 30000;
const ROUTED = ['assigned', 'accepted', 'en_route'];
/** A debugging and testing handle: the state, the map and what it was given to draw. */
window.desk = { state };

// --- sign-in ---------------------------------------------------------------------------------

/** The sign-in screen, with why it is shown (a session that ended), if it is. */
function signInScreen(message) {
  renderSignIn(app, { call, saveSession, roles: DESK_ROLES, notAllowedKey: 'signin.not_desk', onSignedIn: boot, message, submitClass: 'primary big' });
}

// --- the console -----------------------------------------------------------------------------

async function boot() {
  const session = currentSession();
  if (!session) return signInScreen();
  try {
    state.me = await call('GET', '/api/v1/me');
    state.settings = await call('GET', '/api/v1/desk/settings');
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return signInScreen(t('signin.ended'));
    fill(app, h('p', { class: 'problem' }, error.message));
    return undefined;
  }
  useDeskSettings(state.settings);
  document.body.classList.toggle('read-only', !canAct());
  if (location.hash === '#wall') return createWall(app);
  return consoleScreen();
}

function consoleScreen() {
  document.title = t('app.title');
  const totals = h('div', { class: 'totals', id: 'totals' });
  const liveBadge = h('span', { class: 'live', id: 'live', role: 'status' });
  const clock = h('time', { class: 'desk-clock', id: 'desk-clock', title: state.settings.timezone });
  const tools = h('div', { class: 'tools' });
  const who = h('span', { class: 'who' }, `${state.me.username} · ${t(`role.${state.me.role}`)}`);
  const signOut = h('button', { type: 'button', class: 'link', id: 'signout', onclick: doSignOut }, t('app.sign_out'));
  const alertsBar = h('div', { class: 'alerts', id: 'alerts', 'aria-live': 'assertive' });
  const listPanel = h('aside', { class: 'list-panel', 'aria-label': t('list.title') });
  const mapElement = h('div', { class: 'map', id: 'map' });
  const toolHint = h('div', { class: 'tool-hint', id: 'tool-hint', hidden: true });
  const legend = legendBox();
  const detailPanel = h('aside', { class: 'detail-panel', id: 'detail', hidden: true, 'aria-label': t('detail.title') });
  fill(app,
    h('header', { class: 'topbar' },
      h('strong', { class: 'brand' }, t('app.title')),
      totals, liveBadge, tools, h('span', { class: 'spacer' }), clock, languageSwitch(), who, signOut),
    alertsBar,
    h('div', { class: 'workspace' }, listPanel, h('div', { class: 'map-wrap' }, mapElement, toolHint, legend), detailPanel));

  const desk = createMap(mapElement, {
    settings: state.settings,
    withCustomers: canAct(),
    onIncident: (id) => open(id),
    onSwitch: (properties, lngLat, at) => switching.switchPopup(properties, lngLat, at),
    onClosure: (id, lngLat) => { const closure = state.closures.get(id); if (closure) toolkit.closurePopup(closure, lngLat); },
  });
  window.desk.map = desk.map;
  window.desk.mapData = desk.data;
  const list = createList(listPanel, { onSelect: (id) => open(id) });
  const detail = createDetail(detailPanel, {
    onChanged: () => refreshSoon(),
    onClose: () => open(null),
    onOpen: (id) => open(id),
  });
  const alerts = createAlerts(alertsBar, { onOpen: (id) => open(id) });
  const toolkit = createTools({ desk, bar: tools, hint: toolHint, onOpen: (id, options) => open(id, options), onChanged: () => refreshSoon() });
  const switching = createSwitching({ desk, onChanged: () => refreshSoon() });
  createCallbacks({ bar: tools, onOpen: (id) => open(id) });

  // The selected incident's area on the map: fetched when it is selected, again when its device
  // moves (a roll-up, a correction); an answer for an incident no longer selected is dropped.
  let areaOf = null;
  async function drawArea(id) {
    areaOf = id;
    const area = id === null ? null : await call('GET', `/api/v1/incidents/${id}/area`).catch(() => null);
    if (areaOf === id) desk.showArea(area);
  }

  function open(id, options = {}) {
    select(id);
    drawArea(id);
    if (id === null) {
      detail.hide();
    } else {
      detail.show(id, options);
      const incident = state.incidents.get(id);
      if (incident) desk.flyTo(incident.location);
    }
    list.render();
  }

  function refreshSoon() {
    if (state.live !== 'live') loadAll().catch(() => {});
  }

  async function fetchRoutes() {
    const now = Date.now();
    const wanted = [...state.incidents.values()].filter((i) => i.crew && ROUTED.includes(i.status));
    await Promise.all(wanted.map(async (i) => {
      const known = state.routes.get(i.id);
      if (known && now - known.fetched < ROUTE_REFRESH_MS && known.properties.crew === i.crew) return;
      try {
        const route = await call('GET', `/api/v1/incidents/${i.id}/route`);
        state.routes.set(i.id, { ...route, fetched: now });
      } catch {
        state.routes.delete(i.id); // no crew any more, or no way by road now
      }
    }));
    for (const id of state.routes.keys()) {
      const i = state.incidents.get(id);
      if (!i || !ROUTED.includes(i.status)) state.routes.delete(id);
    }
    changed('routes');
  }

  function renderTotals(now = Date.now()) {
    const open = [...state.incidents.values()].filter((i) => OPEN.includes(i.status));
    const overdue = open.filter((i) => slaState(i, now) === 'breached').length;
    const atRisk = open.filter((i) => slaState(i, now) === 'at_risk').length;
    const out = open.reduce((sum, i) => sum + (i.customers_affected ?? 0), 0);
    const crews = [...state.crews.values()];
    const free = crews.filter((c) => c.status === 'available').length;
    const busy = crews.filter((c) => c.status !== 'available' && c.status !== 'off_duty').length;
    const stat = (id, label, value, kind = '') => h('span', { class: `stat ${kind}`, id }, h('b', {}, value), ' ', label);
    fill(totals,
      stat('total-open', t('totals.open'), number(open.length)),
      stat('total-overdue', t('totals.overdue'), number(overdue), overdue ? 'bad' : ''),
      stat('total-at-risk', t('totals.at_risk'), number(atRisk), atRisk ? 'warn' : ''),
      stat('total-out', t('totals.customers_out'), number(out)),
      stat('total-crews', t('totals.crews', { busy: number(busy) }), number(free)));
  }

  function renderLive() {
    liveBadge.textContent = t(`live.${state.live}`);
    liveBadge.className = `live live-${state.live}`;
    liveBadge.title = t(`live.${state.live}_hint`);
  }

  changes.addEventListener('change', ({ detail: what }) => {
    if (what.has('incidents') || what.has('selection') || what.has('filters')) {
      list.render();
      desk.showIncidents([...state.incidents.values()], state.selected);
      renderTotals();
    }
    if (what.has('incidents')) fetchRoutes();
    if (what.has('crews')) {
      desk.showCrews([...state.crews.values()], state.trails);
      renderTotals();
    }
    if (what.has('routes') || what.has('selection')) desk.showRoutes(state.routes, state.selected);
    if (what.has('closures')) desk.showClosures(state.closures);
    if (what.has('live')) renderLive();
  });
  liveEvents.addEventListener('incident', ({ detail: { before, after } }) => {
    alerts.observe(before, after);
    // Any change, not only updated_at: that is the transaction's time, the same for two changes in one.
    if (after.id === detail.id && before && JSON.stringify(before) !== JSON.stringify({ ...before, ...after })) detail.refresh();
    if (after.id === detail.id && !state.incidents.has(after.id) && after.merged_into) open(after.merged_into);
    if (after.id === areaOf && before && JSON.stringify(before.device) !== JSON.stringify(after.device)) drawArea(areaOf);
  });
  liveEvents.addEventListener('alert', ({ detail: alert }) => alerts.receive(alert));
  liveEvents.addEventListener('map', ({ detail: { version } }) => desk.reloadTiles(version));
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !document.querySelector('dialog[open]')) {
      toolkit.cancel();
      if (state.selected !== null) open(null);
    }
  });

  function tick() {
    const now = Date.now();
    clock.textContent = deskTime(new Date(now).toISOString(), { seconds: true });
    clock.dateTime = new Date(now).toISOString();
    list.tick(now);
    detail.tick(now);
  }
  setInterval(tick, 1000);
  tick();
  renderLive();
  list.render();
  renderTotals();
  desk.ready.then(() => {
    desk.showIncidents([...state.incidents.values()], state.selected);
    desk.showCrews([...state.crews.values()], state.trails);
    desk.showRoutes(state.routes, state.selected);
    desk.showClosures(state.closures);
    mapElement.dataset.ready = 'true';
  });
  startLive().catch((error) => {
    state.live = 'reconnecting';
    changed('live');
    console.warn('live updates failed to start', error);
    setTimeout(() => startLive(), 5000);
  });
  alerts.start();
  loadClosures().catch(() => {});
}

function legendBox() {
  const item = (swatch, label) => h('li', {}, h('span', { class: `swatch ${swatch}` }), label);
  return h('details', { class: 'legend', open: true },
    h('summary', {}, t('legend.title')),
    h('ul', {},
      item('sla-on_track', t('sla.on_track')), item('sla-at_risk', t('sla.at_risk')), item('sla-breached', t('sla.breached')),
      item('shape-ring', t('legend.waiting')), item('shape-diamond', t('legend.assigned')),
      item('shape-triangle', t('legend.en_route')), item('shape-square', t('legend.on_site')),
      item('shape-octagon', t('legend.hazard')),
      item('crew', t('legend.crew')), item('crew-stale', t('legend.crew_stale')),
      item('route', t('legend.route')), item('closure', t('legend.closure')), item('area', t('legend.area')),
      item('switch-open', t('legend.switch_open')), item('switch-closed', t('legend.switch_closed'))));
}

async function doSignOut() {
  stopLive();
  await call('DELETE', '/api/v1/auth/token').catch(() => {});
  clearSession();
  location.hash = '';
  location.reload();
}

sessionEvents.addEventListener('ended', () => {
  stopLive();
  clearSession();
  signInScreen(t('signin.ended'));
});
// Another language or screen: the page starts again (the state reloads from the server in a moment).
languageEvents.addEventListener('change', () => location.reload());
window.addEventListener('hashchange', () => location.reload());
boot();
