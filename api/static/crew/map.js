// The job's map: the fault, the crew's route and the crew's own position over a plain vector
// drawing of the nearby roads from our own API (GET /api/v1/grid/roads). The crews' network has
// no internet and there is no tile server, so there are no tiles at all: nothing leaves our server.
// Leaflet comes from /crew/vendor/leaflet/leaflet.js, loaded by index.html as window.L.

import { call } from './api.js';
import { t } from './common/i18n.js';

const ROADS_MARGIN_DEG = 0.006;  // about 600 m of streets around the fault and the route
const ROADS_MAX_SPAN_DEG = 0.12; // a long route still fetches a bounded area (the limit is 5000 roads)
const MAJOR_ROADS = new Set(['motorway', 'trunk', 'primary', 'secondary', 'tertiary']);

function roadStyle(feature) {
  const major = MAJOR_ROADS.has(feature.properties?.highway);
  return { color: major ? '#6b7280' : '#9ca3af', weight: major ? 4 : 2, opacity: 1 };
}

/** [[minLat, minLon], [maxLat, maxLon]] around the points, padded and capped around its centre. */
function roadsArea(bounds) {
  const centre = bounds.getCenter();
  const half = (span) => Math.min(span / 2 + ROADS_MARGIN_DEG, ROADS_MAX_SPAN_DEG / 2);
  const dLat = half(bounds.getNorth() - bounds.getSouth());
  const dLon = half(bounds.getEast() - bounds.getWest());
  return [centre.lng - dLon, centre.lat - dLat, centre.lng + dLon, centre.lat + dLat]
    .map((n) => n.toFixed(5)).join(',');
}

function firstRoutePoint(route) {
  const [lon, lat] = route?.geometry?.coordinates?.[0] ?? [];
  return lon === undefined ? null : { lon, lat };
}

/**
 * Draw `job` into `element`; `onRoads(problem)` hears whether the streets could be fetched
 * (null once they are). Returns {update(job), showFix(fix), destroy()}.
 */
export function createJobMap(element, job, onRoads) {
  const L = window.L;
  const map = L.map(element, { preferCanvas: true, zoomSnap: 0.5 });
  // A view first: Leaflet's canvas renderer cannot place layers on a map that has none yet.
  const start = job.location ?? firstRoutePoint(job.route);
  if (start) map.setView([start.lat, start.lon], 15);
  else map.setView([0, 0], 2);
  map.attributionControl.addAttribution(t('map.roads_attribution'));
  const roads = L.geoJSON(null, { style: roadStyle, interactive: false }).addTo(map);
  const route = L.geoJSON(null, { style: { color: '#1d4ed8', weight: 7, opacity: 0.85 } }).addTo(map);
  let fault = null;
  let me = null;
  let drawnRoute = null;
  let roadsFetched = false;
  let destroyed = false;

  function draw(current) {
    if (current.location && !fault) {
      element.dataset.fault = `${current.location.lon},${current.location.lat}`;
      fault = L.circleMarker([current.location.lat, current.location.lon], {
        radius: 12, color: '#ffffff', weight: 3, fillColor: '#c62828', fillOpacity: 1,
      }).bindTooltip(t('map.fault'), { permanent: true, direction: 'top', offset: [0, -12] }).addTo(map);
    }
    const routeJson = JSON.stringify(current.route ?? null);
    if (routeJson !== drawnRoute) { // a new ETA or a reassignment brings a new route
      route.clearLayers();
      if (current.route) route.addData(current.route);
      drawnRoute = routeJson;
    }
  }

  /** The fault, the route and the crew: what the map should show (null before any is known). */
  function extent() {
    const bounds = L.latLngBounds([]);
    if (fault) bounds.extend(fault.getLatLng());
    if (route.getLayers().length) bounds.extend(route.getBounds());
    if (me) bounds.extend(me.getLatLng());
    return bounds.isValid() ? bounds : null;
  }

  function fit() {
    const bounds = extent();
    if (bounds) map.fitBounds(bounds, { padding: [28, 28], maxZoom: 17 });
    return bounds;
  }

  async function fetchRoads(bounds) {
    roadsFetched = true;
    try {
      const answer = await call('GET', `/api/v1/grid/roads?bbox=${roadsArea(bounds)}&limit=5000`);
      if (destroyed) return;
      roads.clearLayers();
      roads.addData(answer.data);
      // Canvas drawings are not elements: say on the element what was drawn (people see it, tests read it).
      element.dataset.roads = String(answer.data.features.length);
      onRoads?.(null);
    } catch (error) {
      roadsFetched = false; // tried again on the next update
      if (!destroyed) onRoads?.(t('map.no_streets', { why: error.message }));
    }
  }

  draw(job);
  const bounds = fit();
  if (bounds) fetchRoads(bounds);

  return {
    update(current) {
      draw(current);
      // Retry without moving the map: the crew may have panned it.
      const area = !roadsFetched && extent();
      if (area) fetchRoads(area);
    },
    showFix(fix) {
      const where = [fix.lat, fix.lon];
      if (!me) {
        me = L.circleMarker(where, { radius: 9, color: '#ffffff', weight: 3, fillColor: '#1d4ed8', fillOpacity: 1 })
          .bindTooltip(t('map.you')).addTo(map);
        const area = fit();
        if (!roadsFetched && area) fetchRoads(area);
      } else {
        me.setLatLng(where);
      }
    },
    destroy() {
      destroyed = true;
      map.remove();
    },
  };
}
