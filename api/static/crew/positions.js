// GPS from the phone to the server: watchPosition fills a buffer kept in IndexedDB (so positions
// taken in a dead spot survive a reload), and the buffer goes out in batches to
// POST /api/v1/me/positions every 15 s, or sooner once 50 positions wait, and the first fix at once.

import { get, update } from './vendor/idb-keyval/index.js';
import { call, transient } from './api.js';
import { isoWithOffset } from './dom.js';

const KEY = 'crew.positions';
const SEND_EVERY_MS = 15000;
const SEND_AT_COUNT = 50;
const MAX_BATCH = 1000;       // the API takes 1..1000 per request
const MAX_KEPT = 20000;       // a whole shift at one position per 5 s; older ones go first
const PROVIDER_SKEW_MS = 60000;
const MIN_GAP_MS = 5000;      // phones report several fixes a second when moving; one per 5 s is plenty
const MAX_AGE_MS = 7 * 24 * 3600 * 1000 - 60000; // the API refuses positions older than 7 days

let watchId = null;
let timer = null;
let sending = null;
let latest = null;
export const positionEvents = new EventTarget();

/** The last fix {lon, lat, accuracy_m, at, time} or null; `time` is ms since the epoch. */
export function lastFix() {
  return latest;
}

/** Start watching the phone's position and sending it; `owner()` names the signed-in user
 *  (null while nobody is: then nothing is kept). */
export function startTracking(owner) {
  if (watchId !== null || !('geolocation' in navigator)) return;
  watchId = navigator.geolocation.watchPosition(
    (position) => record(position, owner),
    (error) => positionEvents.dispatchEvent(new CustomEvent('error', { detail: error })),
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 },
  );
  timer = setInterval(() => { if (owner()) sendPositions(owner()); }, SEND_EVERY_MS);
}

export function stopTracking() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  clearInterval(timer);
  watchId = null;
  timer = null;
}

async function record(position, owner) {
  const user = owner();
  const { longitude, latitude, accuracy, speed, heading } = position.coords;
  // The fix's own time, unless the location provider's clock disagrees with the phone's by more than
  // PROVIDER_SKEW_MS: events are stamped by the phone's clock and the server's arrival check
  // compares the two, so a provider on another clock gets the moment the fix arrived instead.
  const time = Math.abs(position.timestamp - Date.now()) <= PROVIDER_SKEW_MS ? position.timestamp : Date.now();
  const fix = { user, lon: longitude, lat: latitude, at: isoWithOffset(new Date(time)) };
  // Only readings within the API's bounds: one wild reading must not get a whole batch refused.
  if (Number.isFinite(accuracy) && accuracy >= 0 && accuracy <= 100000) fix.accuracy_m = accuracy;
  if (Number.isFinite(speed) && speed >= 0 && speed <= 100) fix.speed = speed;
  if (Number.isFinite(heading) && heading >= 0 && heading <= 360) fix.heading = heading;
  const previous = latest;
  latest = { ...fix, time };
  positionEvents.dispatchEvent(new CustomEvent('fix', { detail: latest }));
  if (!user || (previous && time - previous.time < MIN_GAP_MS)) return;
  let count = 0;
  await update(KEY, (list) => {
    const kept = [...(list ?? []), fix].slice(-MAX_KEPT);
    count = kept.length;
    return kept;
  });
  if (!previous) {
    // The first fix goes out at once: the server draws the route from the crew's last position,
    // which must be this phone's, not where the crew was before the app started.
    sendPositions(user).then(() => positionEvents.dispatchEvent(new CustomEvent('sent')));
  } else if (count >= SEND_AT_COUNT) sendPositions(user);
}

/** Forget buffered positions (at sign-out: they must not be sent as the next user's). */
export async function discardPositions() {
  await update(KEY, () => []);
  latest = null;
}

/** Send what `user` buffered, a batch at a time; keeps the buffer when there is no answer. */
export function sendPositions(user) {
  if (!user) return Promise.resolve();
  sending ??= drain(user).finally(() => { sending = null; });
  return sending;
}

async function drain(user) {
  for (;;) {
    const oldest = Date.now() - MAX_AGE_MS;
    const batch = ((await get(KEY)) ?? []).slice(0, MAX_BATCH);
    if (!batch.length) return;
    // Only this user's own fixes may go out under this user's token; others' are dropped.
    const fresh = batch.filter((fix) => fix.user === user && new Date(fix.at).getTime() > oldest)
      .map(({ user: _owner, ...fix }) => fix);
    try {
      if (fresh.length) await call('POST', '/api/v1/me/positions', { body: { positions: fresh } });
    } catch (error) {
      if (transient(error) || error.status === 401) return; // try again later (401: after signing in)
      // Any other refusal would refuse the same batch forever: drop it rather than block the rest.
      console.warn('positions refused', error.status, error.message);
    }
    // New fixes are only ever appended, so the batch is still the head of the list.
    await update(KEY, (list) => (list ?? []).slice(batch.length));
  }
}
