// The managers' reports page: sign-in, then the period (local calendar days in the dispatch time
// zone) and the reports of it, one section each: response times against the targets, reliability
// indices, complaints, and where faults repeat on a map. The period is kept in the address
// (#from=...&to=...) so that a link shows the same reports.

import { call, clearSession, currentSession, ProblemError, REPORT_ROLES, saveSession, sessionEvents } from './api.js';
import { fill, h } from './common/dom.js';
import { signInScreen as renderSignIn } from './common/signin.js';
import { languageEvents, languageSwitch, t, useCatalogs } from './common/i18n.js';
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';
import { lastMonth, thisMonth, today, useTimeZone } from './format.js';
import { loadZones } from './zones.js';
import { loadCauses } from './causes.js';
import { createSla } from './sla.js';
import { createReliability } from './reliability.js';
import { createComplaints } from './complaints.js';
import { createHotspots } from './hotspots.js';

useCatalogs({ en, 'zh-CN': zhCN });

const app = document.getElementById('app');
const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A debugging and testing handle: the hotspot map and what it was given. */
window.reports = {};

// --- sign-in ---------------------------------------------------------------------------------

/** The sign-in screen, with why it is shown (a session that ended), if it is. */
function signInScreen(message) {
  renderSignIn(app, { call, saveSession, roles: REPORT_ROLES, notAllowedKey: 'signin.not_reports', onSignedIn: boot, message });
}

// --- the period ------------------------------------------------------------------------------

/** The period in the address, else last month (the monthly review's). */
function startingPeriod() {
  const asked = new URLSearchParams(location.hash.slice(1));
  const from = asked.get('from');
  const to = asked.get('to');
  if (DAY.test(from ?? '') && DAY.test(to ?? '') && from <= to) return { from, to };
  return lastMonth(today());
}

function periodBar(period, onApply) {
  const from = h('input', { id: 'period-from', type: 'date', value: period.from, required: true });
  const to = h('input', { id: 'period-to', type: 'date', value: period.to, required: true });
  const problem = h('span', { class: 'problem', id: 'period-problem', role: 'alert' });
  const preset = (id, label, make) => h('button', { type: 'button', class: 'preset', id, onclick: () => {
    const chosen = make(today());
    from.value = chosen.from;
    to.value = chosen.to;
    apply();
  } }, label);
  function apply(event) {
    event?.preventDefault();
    if (!from.value || !to.value || from.value > to.value) {
      problem.textContent = t('filter.bad_period');
      return;
    }
    problem.textContent = '';
    onApply({ from: from.value, to: to.value });
  }
  return h('form', { class: 'period-bar', id: 'period', onsubmit: apply },
    h('label', { for: 'period-from' }, t('filter.from')), from,
    h('label', { for: 'period-to' }, t('filter.to')), to,
    h('button', { type: 'submit', class: 'primary', id: 'period-apply' }, t('filter.apply')),
    preset('period-last-month', t('filter.last_month'), lastMonth),
    preset('period-this-month', t('filter.this_month'), thisMonth),
    problem);
}

// --- the page --------------------------------------------------------------------------------

async function boot() {
  if (!currentSession()) return signInScreen();
  let me;
  let settings;
  let zones;
  try {
    [me, settings, zones] = await Promise.all([call('GET', '/api/v1/me'), call('GET', '/api/v1/desk/settings'), loadZones(),
      loadCauses()]);
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) return signInScreen(t('signin.ended'));
    fill(app, h('p', { class: 'problem' }, error.message));
    return undefined;
  }
  useTimeZone(settings.timezone);
  return reportsPage(me, settings, zones);
}

function reportsPage(me, settings, zones) {
  document.title = t('app.title');
  let period = startingPeriod();
  const current = () => period;
  const sla = createSla(current);
  const reliability = createReliability(current, zones);
  const complaints = createComplaints(current);
  const hotspots = createHotspots(current, zones, settings);
  window.reports.map = hotspots.map.map;
  window.reports.mapData = hotspots.map.data;
  const heading = h('p', { class: 'period-heading', id: 'period-heading' });
  const sections = [['sla', 'sla.title'], ['reliability', 'rel.title'], ['complaints', 'complaints.title'],
    ['hotspots', 'hotspots.title'], ['repeat-faults', 'faults.title'], ['frequent', 'frequent.title']];

  function load() {
    heading.textContent = t('app.period', { from: period.from, to: period.to, zone: settings.timezone });
    history.replaceState(null, '', `#${new URLSearchParams(period)}`);
    return Promise.all([sla.load(), reliability.load(), complaints.load(), hotspots.load()]);
  }

  fill(app,
    h('header', { class: 'topbar' },
      h('strong', { class: 'brand' }, t('app.title')), h('span', { class: 'spacer' }),
      languageSwitch(),
      h('span', { class: 'who' }, `${me.username} · ${t(`role.${me.role}`)}`),
      h('button', { type: 'button', class: 'link', id: 'signout', onclick: signOut }, t('app.sign_out'))),
    h('div', { class: 'filters' }, periodBar(period, (chosen) => { period = chosen; load(); }), heading,
      h('nav', { class: 'contents', 'aria-label': t('app.contents') },
        sections.map(([id, title]) => h('a', { href: `#${id}`, onclick: (event) => {
          event.preventDefault();
          document.getElementById(id).scrollIntoView({ behavior: 'instant', block: 'start' });
        } }, t(title))))),
    h('main', { class: 'sections' }, sla.element, reliability.element, complaints.element, ...hotspots.elements));
  load().then(() => { app.dataset.loaded = 'true'; });
}

async function signOut() {
  await call('DELETE', '/api/v1/auth/token').catch(() => {});
  clearSession();
  location.hash = '';
  location.reload();
}

sessionEvents.addEventListener('ended', () => {
  clearSession();
  signInScreen(t('signin.ended'));
});
// Another language: the page starts again (the reports load again in it).
languageEvents.addEventListener('change', () => location.reload());
boot();
