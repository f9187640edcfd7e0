// What the desk knows, kept current by live.js (the stream, or polling until there is one):
// incidents, crews, their trails, road closures. Changes are announced on `changes` and drawn
// once per animation frame, however many arrive at once in a storm.

import { SHOWN } from './incidents.js';

const TRAIL_MINUTES = 30;

export const state = {
  me: null,                 // {username, role}
  settings: null,           // GET /api/v1/desk/settings
  incidents: new Map(),     // id -> the incident as in GET /api/v1/incidents (open and restored ones)
  crews: new Map(),         // code -> {code, status, incident, lon, lat, heading, at, stale, name}
  trails: new Map(),        // code -> [[lon, lat, iso], ...] oldest first
  closures: new Map(),      // id -> {id, geometry, reason, until, lifted}
  routes: new Map(),        // incident id -> GeoJSON Feature of its crew's route (with eta_s)
  selected: null,           // the incident id open in the detail panel
  filters: { zone: '', status: '', sla: '', q: '' },
  matches: null,            // Set of incident ids the search found (null: no search)
  live: 'connecting',       // connecting | live | polling | reconnecting
};

export const changes = new EventTarget();
const pending = new Set();
let scheduled = false;

/** Say that `what` changed ('incidents', 'crews', 'closures', 'routes', 'selection', ...); listeners
 * hear once per frame with the set of what changed. */
export function changed(what) {
  pending.add(what);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const what = new Set(pending);
    pending.clear();
    changes.dispatchEvent(new CustomEvent('change', { detail: what }));
  });
}

/** An incident as the list or the stream sends it. Merged, closed and cancelled ones leave the desk. */
export function applyIncident(incident) {
  const before = state.incidents.get(incident.id);
  const after = { ...before, ...incident };
  if (before && SHOWN.includes(incident.status) && same(before, after)) return before; // a poll that found nothing new
  if (SHOWN.includes(incident.status)) state.incidents.set(incident.id, after);
  else state.incidents.delete(incident.id);
  if (!SHOWN.includes(incident.status) || incident.crew !== before?.crew) state.routes.delete(incident.id);
  changed('incidents');
  return before;
}

/** Keep exactly these incidents (a full reload), announcing each change. */
export function replaceIncidents(list) {
  const seen = new Set();
  const previous = new Map(state.incidents);
  for (const incident of list) {
    seen.add(incident.id);
    applyIncident(incident);
  }
  for (const id of previous.keys()) {
    if (!seen.has(id)) {
      state.incidents.delete(id);
      state.routes.delete(id);
      changed('incidents');
    }
  }
  return previous;
}

/** A crew's status or position ({code, status, incident, lon, lat, heading, at, stale}). */
export function applyCrew(crew) {
  const before = state.crews.get(crew.code);
  const merged = { ...before, ...crew };
  if (before && same(before, merged)) return before;
  state.crews.set(crew.code, merged);
  if (crew.lon !== undefined && crew.lon !== null && crew.at) {
    const trail = state.trails.get(crew.code) ?? [];
    const last = trail[trail.length - 1];
    if (!last || last[2] < crew.at) trail.push([crew.lon, crew.lat, crew.at]);
    const oldest = new Date(crew.at).getTime() - TRAIL_MINUTES * 60000;
    state.trails.set(crew.code, trail.filter((p) => new Date(p[2]).getTime() >= oldest));
  }
  changed('crews');
  return before;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function setTrails(trails) {
  for (const { crew, points } of trails) state.trails.set(crew, points);
  changed('crews');
}

export function applyClosure(closure) {
  if (closure.lifted) state.closures.delete(closure.id);
  else state.closures.set(closure.id, closure);
  changed('closures');
}

export function select(id) {
  state.selected = id;
  changed('selection');
}
