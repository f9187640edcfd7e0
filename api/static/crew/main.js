// The crew app: sign-in, the job list and one job, the offline indicator, and when to replay
// the queue (on start, on the 'online' event, and every 20 s while anything waits).

import { call, connectivity, NetworkError } from './api.js';
import { h, fill, newKey } from './dom.js';
import { mountJob } from './job.js';
import { renderJobs } from './jobs.js';
import { actionName } from './lifecycle.js';
import { loadCauses } from './report.js';
import { lastFix, positionEvents, sendPositions, startTracking, stopTracking, discardPositions } from './positions.js';
import { enqueue, queueEvents, replay, waiting } from './queue.js';
import { clearSession, currentSession, expired, saveSession } from './session.js';
import { renderSignIn } from './signin.js';
import { languageEvents, t, useCatalogs } from './common/i18n.js';
import en from './i18n/en.js';
import zhCN from './i18n/zh-CN.js';

useCatalogs({ en, 'zh-CN': zhCN });

const RETRY_EVERY_MS = 20000;
const REFRESH_JOBS_EVERY = 3;      // ticks: the job list is fetched again every minute
const FIX_MAX_AGE_MS = 2 * 60000;  // an older GPS fix does not say where the crew is now
const API_CACHE = 'crew-api';      // sw.js keeps the last job list and streets here

const view = document.getElementById('view');
const indicator = document.getElementById('net');
const banners = document.getElementById('banners');
const signOutButton = document.getElementById('signout');
document.title = t('app.title');
document.querySelector('.bar .title').textContent = t('app.title');
signOutButton.textContent = t('app.sign_out');
view.querySelector('p')?.replaceChildren(t('app.starting'));
// Another language: the app starts again in it (the queue and the session are kept).
languageEvents.addEventListener('change', () => location.reload());

const state = {
  signedIn: false,
  crew: null,
  jobs: [],
  loaded: false,
  loadProblem: null,
  pending: [],                     // this user's actions waiting to be sent, oldest first
  reachable: navigator.onLine,
  screen: null,                    // the open job's screen {jobId, update, showFix, destroy}
  causes: null,                    // the closing reports' cause taxonomy (GET /api/v1/causes)
};

// --- the offline indicator -------------------------------------------------------------------

function renderIndicator() {
  const n = state.pending.length;
  const offline = !navigator.onLine || !state.reachable;
  const actions = t('net.waiting', { n });
  indicator.textContent = offline ? (n ? t('net.offline_waiting', { actions }) : t('net.offline'))
    : (n ? t('net.sending', { actions }) : t('net.online'));
  indicator.className = `net ${offline ? 'offline' : n ? 'sending' : 'online'}`;
  indicator.dataset.waiting = String(n);
}

function banner(text, kind = 'problem') {
  const item = h('div', { class: `banner ${kind}`, role: 'alert' },
    h('span', {}, text),
    h('button', { type: 'button', class: 'link', onclick: () => item.remove() }, t('app.ok')));
  banners.append(item);
}

// --- screens ---------------------------------------------------------------------------------

function closeJobScreen() {
  state.screen?.destroy();
  state.screen = null;
}

function pendingFor(job) {
  return state.pending.filter((action) => String(action.job) === String(job.id));
}

function render() {
  if (!state.signedIn) return;
  const match = /^#\/jobs\/(\d+)$/.exec(location.hash);
  const job = match && state.jobs.find((j) => String(j.id) === match[1]);
  if (!job) {
    closeJobScreen();
    if (match && state.loaded) location.hash = '#/jobs'; // a job that is no longer ours
    renderJobs(view, { ...state, pendingFor });
    return;
  }
  if (state.screen?.jobId !== job.id) {
    closeJobScreen();
    state.screen = { jobId: job.id, ...mountJob(view, { job, pending: pendingFor(job), onAction: act, causes: state.causes }) };
    const fix = lastFix();
    if (fix) state.screen.showFix(fix);
  } else {
    state.screen.update(job, pendingFor(job), state.causes);
  }
}

function showSignIn(message) {
  state.signedIn = false;
  closeJobScreen();
  signOutButton.hidden = true;
  renderSignIn(view, { message, onSignedIn: signedIn });
}

// --- what the crew does ----------------------------------------------------------------------

/** A press: queued first (so it survives anything), then sent at once if the network allows. */
async function act({ type, at, note, report }) {
  const session = currentSession();
  const action = { key: newKey(), username: session.user.username, job: state.screen.jobId, type, at };
  if (report) action.report = report;
  const fix = lastFix();
  if (fix && Date.now() - fix.time < FIX_MAX_AGE_MS) action.location = { lon: fix.lon, lat: fix.lat };
  if (note) action.note = note;
  await enqueue(action);
  replayNow();
}

async function refreshPending() {
  const session = currentSession();
  state.pending = session ? await waiting(session.user.username) : [];
  renderIndicator();
  render();
}

async function replayNow() {
  await refreshPending();
  if (!state.pending.length) return;
  await replay();
  await refreshPending();
  // Once everything is through, the server's view of the jobs (ETA, deadlines) is the truth again.
  if (!state.pending.length) loadJobs();
}

async function loadJobs() {
  if (!state.signedIn) return;
  try {
    const answer = await call('GET', '/api/v1/me/jobs');
    state.crew = answer.data.crew;
    state.jobs = answer.data.jobs;
    state.loaded = true;
    state.loadProblem = null;
  } catch (error) {
    if (error.status === 401) return sessionEnded();
    // Offline with nothing cached: keep what is on screen; the next tick tries again.
    if (!(error instanceof NetworkError)) state.loadProblem = error.message;
  }
  render();
}

/** The signed-in user's name, or null: GPS is kept and sent only for them. */
function me() {
  return state.signedIn ? currentSession()?.user?.username ?? null : null;
}

function sessionEnded() {
  const n = state.pending.length;
  showSignIn(n ? t('signin.ended_waiting', { actions: t('net.waiting', { n }) }) : t('signin.ended'));
}

async function signedIn(session) {
  if (session) {
    // Someone else on this phone now: the last one's cached jobs (customers' addresses) go.
    const before = currentSession()?.user?.username;
    if (before && before !== session.user.username && 'caches' in window) await caches.delete(API_CACHE);
    saveSession(session);
  }
  state.signedIn = true;
  state.loaded = false;
  signOutButton.hidden = false;
  startTracking(me);
  if (!location.hash.startsWith('#/jobs')) location.hash = '#/jobs';
  await refreshPending();
  await replayNow();
  await loadJobs();
  state.causes = await loadCauses();
  render();
}

async function signOut() {
  const n = state.pending.length;
  if (n && !confirm(t('signout.confirm', { n }))) return;
  await sendPositions(me()).catch(() => {});
  // Positions left over must not be sent later as whoever signs in next.
  await discardPositions();
  stopTracking();
  await call('DELETE', '/api/v1/auth/token').catch(() => {}); // offline: the token runs out by itself
  clearSession();
  if ('caches' in window) await caches.delete(API_CACHE);
  state.crew = null;
  state.jobs = [];
  showSignIn(t('signin.signed_out'));
}

// --- wiring ----------------------------------------------------------------------------------

queueEvents.addEventListener('change', () => refreshPending());
queueEvents.addEventListener('sent', ({ detail: { action, result } }) => {
  const job = state.jobs.find((j) => String(j.id) === String(action.job));
  if (job && action.type === 'closing_report') job.closing_report = { ...job.closing_report, ...result };
  else if (job) Object.assign(job, { status: result.status, allowed_next: result.allowed_next });
  render();
});
queueEvents.addEventListener('rejected', ({ detail: { action, problem } }) => {
  banner(t('banner.rejected', { action: actionName(action.type), job: action.job,
    why: problem.detail || problem.title }));
});
queueEvents.addEventListener('signin', () => { if (state.signedIn) sessionEnded(); });
connectivity.addEventListener('change', ({ detail }) => { state.reachable = detail.reachable; renderIndicator(); });
positionEvents.addEventListener('fix', ({ detail }) => state.screen?.showFix(detail));
positionEvents.addEventListener('sent', () => { if (state.signedIn) loadJobs(); }); // the route from here
positionEvents.addEventListener('error', ({ detail }) => {
  if (detail.code === detail.PERMISSION_DENIED) banner(t('banner.gps_off'));
});
window.addEventListener('online', () => {
  state.reachable = true;
  renderIndicator();
  if (!state.signedIn) return;
  replayNow();
  sendPositions(me());
});
window.addEventListener('offline', renderIndicator);
window.addEventListener('hashchange', render);
signOutButton.addEventListener('click', signOut);

let ticks = 0;
setInterval(() => {
  if (!state.signedIn) return;
  ticks += 1;
  if (state.pending.length) replayNow();
  if (ticks % REFRESH_JOBS_EVERY === 0) loadJobs();
}, RETRY_EVERY_MS);

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/crew/sw.js', { scope: '/crew/' })
    .catch((error) => console.warn('no offline start: the service worker failed', error));
}

renderIndicator();
if (!currentSession()) showSignIn();
else if (expired(currentSession())) refreshPending().then(sessionEnded); // its waiting actions still count
else signedIn();
