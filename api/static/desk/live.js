// Keeps the desk's picture true. One stream, GET /api/v1/stream (server-sent events, read with
// fetch() because EventSource cannot send the bearer token): each message goes through the same
// apply functions as a full load; on reconnect it sends Last-Event-ID and gets what it missed,
// or `resync` (away too long) and reloads everything. Where the server has no stream yet (404),
// it polls the incident and crew lists every 2 s through the same functions.

import { call, token } from './api.js';
import { applyClosure, applyCrew, applyIncident, changed, replaceIncidents, setTrails, state } from './state.js';
import { SHOWN } from './incidents.js';

const POLL_MS = 1000;       // a call shows within 2 s, also on a busy machine
const CLOSURES_EVERY = 5;         // polls: closures change rarely
const BACKOFF_MS = [1000, 2000, 5000, 10000, 20000];
const SILENCE_MS = 45000;         // three missed heartbeats: the connection is dead, reconnect

export const liveEvents = new EventTarget(); // 'alert' {detail: alert}, 'map' {detail: {version}}, 'incident' {detail: {before, after}}

let lastEventId = null;
let stopped = false;
let controller = null;

function setLive(mode) {
  state.live = mode;
  changed('live');
}

function crewFromList(crew, maxAgeS, now = Date.now()) {
  const at = crew.position_at;
  return {
    code: crew.code, name: crew.name, status: crew.status, incident: crew.incident, on_duty: crew.on_duty,
    lon: crew.lon, lat: crew.lat, at, heading: crew.heading ?? null,
    stale: !at || now - new Date(at).getTime() > maxAgeS * 1000,
  };
}

function incident(item) {
  const before = applyIncident(item);
  liveEvents.dispatchEvent(new CustomEvent('incident', { detail: { before, after: item } }));
}

/** Everything from the lists: at start, after `resync`, and on every poll. */
export async function loadAll({ closures = true } = {}) {
  const maxAge = state.settings?.crew_position_max_age_s ?? 900;
  const [incidents, crews] = await Promise.all([
    call('GET', `/api/v1/incidents?status=${SHOWN.join(',')}&limit=5000`),
    call('GET', '/api/v1/crews'),
  ]);
  const previous = replaceIncidents(incidents.incidents);
  for (const item of incidents.incidents) {
    const before = previous.get(item.id);
    if (before !== state.incidents.get(item.id)) {
      liveEvents.dispatchEvent(new CustomEvent('incident', { detail: { before, after: item } }));
    }
  }
  for (const crew of crews.crews) applyCrew(crewFromList(crew, maxAge));
  if (closures) await loadClosures();
}

export async function loadClosures() {
  const { closures } = await call('GET', '/api/v1/roads/closures');
  state.closures.clear();
  for (const c of closures) {
    if (c.active && c.geometry) applyClosure({ id: c.id, geometry: c.geometry, reason: c.reason, until: c.until, lifted: false });
  }
  changed('closures');
}

export async function loadTrails() {
  try {
    const { trails } = await call('GET', '/api/v1/crews/trails?minutes=30');
    setTrails(trails);
  } catch {
    // No trails route on this server: the trails grow from the positions seen since the page opened.
  }
}

// --- the stream ----------------------------------------------------------------------------

function handle(event, data) {
  switch (event) {
    case 'incident': incident(data); break;
    case 'crew': applyCrew(data); break;
    case 'closure': applyClosure(data); break;
    case 'map': liveEvents.dispatchEvent(new CustomEvent('map', { detail: data })); break;
    case 'alert': liveEvents.dispatchEvent(new CustomEvent('alert', { detail: data })); break;
    case 'resync': loadAll().catch(() => {}); break;
    default: break;
  }
}

/** Parse server-sent events from a byte stream; calls handle() per message. */
async function read(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let watchdog;
  const alive = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => controller?.abort(), SILENCE_MS);
  };
  alive();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      alive();
      buffer += value;
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        let event = 'message';
        let id = null;
        const data = [];
        for (const line of block.split(/\r?\n/)) {
          if (!line || line.startsWith(':')) continue; // a heartbeat comment
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'id') id = value;
        }
        if (id !== null) lastEventId = id;
        if (!data.length) continue;
        try {
          handle(event, JSON.parse(data.join('\n')));
        } catch (error) {
          console.warn('stream message not applied', event, error);
        }
      }
    }
  } finally {
    clearTimeout(watchdog);
  }
}

/** Open the stream; resolves false when the server has none (404), true when it ended. */
async function stream() {
  controller = new AbortController();
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token()}` };
  if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
  const response = await fetch('/api/v1/stream', { headers, signal: controller.signal, cache: 'no-store' });
  if (response.status === 404) return false;
  if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
  setLive('live');
  // Without an id yet, what changed between the first load and this connection is loaded again.
  if (lastEventId === null) loadAll().catch(() => {});
  await read(response.body);
  return true;
}

async function poll() {
  setLive('polling');
  let round = 0;
  while (!stopped) {
    try {
      await loadAll({ closures: round % CLOSURES_EVERY === 0 });
      if (state.live !== 'polling') setLive('polling');
    } catch {
      setLive('reconnecting');
    }
    round += 1;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Load everything, then keep it current until stop(). */
export async function start() {
  stopped = false;
  await loadAll();
  loadTrails();
  let failures = 0;
  while (!stopped) {
    try {
      const exists = await stream();
      if (!exists) return poll();
      failures = 0;
    } catch (error) {
      if (stopped) return undefined;
      failures += 1;
    }
    if (stopped) return undefined;
    setLive('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]));
  }
  return undefined;
}

export function stop() {
  stopped = true;
  controller?.abort();
}
