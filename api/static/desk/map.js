// The desk's map (MapLibre GL JS, WebGL). The base layers are our own vector tiles
// (/tiles/{layer}/{z}/{x}/{y}.mvt, cut from PostGIS, sent with the bearer token), so the map
// needs no internet; an optional raster base map from the settings goes under them. The live
// layers are GeoJSON sources the app fills from state.js: incidents (shape by status, colour by
// SLA state, size by customers out), crews (heading, status colour, stale), trails, routes with
// their ETA, and road closures. Icons are drawn on a canvas when MapLibre first asks for them.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from './common/i18n.js';
import { translateMap } from './common/map_words.js';
import { token } from './api.js';
import { byUrgency, slaState } from './incidents.js';

export const SLA_COLOURS = { on_track: '#15803d', at_risk: '#f59e0b', breached: '#dc2626', none: '#64748b' };
export const CREW_COLOURS = {
  available: '#15803d', assigned: '#2563eb', accepted: '#2563eb', en_route: '#7c3aed', on_site: '#c2410c',
  off_duty: '#6b7280',
};
/** The shape of an incident's icon says where it stands; its colour says how its deadline goes. */
const SHAPES = { new: 'ring', assigned: 'diamond', accepted: 'diamond', en_route: 'triangle', on_site: 'square',
  restored: 'check' };
const TILE_MAX_ZOOM = 16; // deeper zooms reuse zoom-16 tiles (the tiles are exact to a pixel there)
const PIXEL_RATIO = 2;

// --- icons -----------------------------------------------------------------------------------

function canvas(size) {
  const c = document.createElement('canvas');
  c.width = size * PIXEL_RATIO;
  c.height = size * PIXEL_RATIO;
  const g = c.getContext('2d');
  g.scale(PIXEL_RATIO, PIXEL_RATIO);
  return [c, g];
}

function pathFor(g, shape, s) {
  const m = s / 2;
  g.beginPath();
  if (shape === 'diamond') {
    g.moveTo(m, 3); g.lineTo(s - 3, m); g.lineTo(m, s - 3); g.lineTo(3, m); g.closePath();
  } else if (shape === 'triangle') {
    g.moveTo(m, 3); g.lineTo(s - 3, s - 5); g.lineTo(3, s - 5); g.closePath();
  } else if (shape === 'square') {
    g.rect(6, 6, s - 12, s - 12);
  } else if (shape === 'octagon') {
    const r = m - 3;
    for (let i = 0; i < 8; i += 1) {
      const a = Math.PI / 8 + (i * Math.PI) / 4;
      g[i ? 'lineTo' : 'moveTo'](m + r * Math.cos(a), m + r * Math.sin(a));
    }
    g.closePath();
  } else {
    g.arc(m, m, m - 4, 0, 2 * Math.PI);
  }
}

/** inc-<shape>-<sla>[-hazard] */
function incidentIcon(shape, sla, hazard) {
  const s = 40;
  const [c, g] = canvas(s);
  const colour = SLA_COLOURS[sla] ?? SLA_COLOURS.none;
  pathFor(g, hazard ? 'octagon' : shape === 'check' ? 'circle' : shape, s);
  g.fillStyle = shape === 'ring' && !hazard ? '#ffffff' : colour;
  g.fill();
  g.lineWidth = shape === 'ring' && !hazard ? 7 : 3;
  g.strokeStyle = shape === 'ring' && !hazard ? colour : '#ffffff';
  g.stroke();
  if (shape === 'ring' && !hazard) { // waiting for a crew: a thin dark edge keeps the ring readable
    g.lineWidth = 1.5;
    g.strokeStyle = '#111827';
    pathFor(g, 'circle', s);
    g.stroke();
  } else {
    pathFor(g, hazard ? 'octagon' : shape === 'check' ? 'circle' : shape, s);
    g.lineWidth = 1.5;
    g.strokeStyle = '#111827';
    g.stroke();
  }
  g.fillStyle = shape === 'ring' && !hazard ? colour : '#ffffff';
  g.font = 'bold 18px sans-serif';
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  if (hazard) g.fillText('!', s / 2, s / 2 + 1);
  else if (shape === 'check') g.fillText('✓', s / 2, s / 2 + 1);
  return g.getImageData(0, 0, c.width, c.height);
}

/** crew-<status>-<arrow|dot>-<fresh|stale> */
function crewIcon(status, form, staleness) {
  const s = 36;
  const [c, g] = canvas(s);
  const colour = CREW_COLOURS[status] ?? CREW_COLOURS.off_duty;
  const m = s / 2;
  g.beginPath();
  if (form === 'arrow') { // pointing north; MapLibre turns it by the heading
    g.moveTo(m, 2); g.lineTo(s - 6, s - 5); g.lineTo(m, s - 11); g.lineTo(6, s - 5); g.closePath();
  } else {
    g.arc(m, m, 10, 0, 2 * Math.PI);
  }
  g.fillStyle = staleness === 'stale' ? '#ffffff' : colour;
  g.fill();
  g.lineWidth = staleness === 'stale' ? 3 : 2.5;
  g.strokeStyle = staleness === 'stale' ? colour : '#ffffff';
  if (staleness === 'stale') g.setLineDash([4, 3]);
  g.stroke();
  return g.getImageData(0, 0, c.width, c.height);
}

function drawMissingIcon(map, id) {
  const parts = id.split('-');
  let image = null;
  if (parts[0] === 'inc') image = incidentIcon(parts[1], parts[2], parts[3] === 'hazard');
  else if (parts[0] === 'crew') image = crewIcon(parts[1], parts[2], parts[3]);
  if (image && !map.hasImage(id)) map.addImage(id, image, { pixelRatio: PIXEL_RATIO });
}

// --- the style -------------------------------------------------------------------------------

const EMPTY = { type: 'FeatureCollection', features: [] };

function style(settings, { withCustomers }) {
  const sources = {};
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }];
  if (settings.basemap_url) {
    sources.basemap = { type: 'raster', tiles: [settings.basemap_url], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.7 } });
  }
  for (const [layer, minzoom] of Object.entries(settings.tile_layers)) {
    if (layer === 'customers' && !withCustomers) continue;
    sources[layer] = { type: 'vector', tiles: [tileUrl(layer, 0)], minzoom, maxzoom: Math.max(minzoom, TILE_MAX_ZOOM),
      attribution: layer === 'roads' ? t('map.roads_attribution') : undefined };
  }
  for (const live of ['area', 'closures', 'draft', 'switch-target', 'trails', 'routes', 'incidents', 'crews']) {
    sources[live] = { type: 'geojson', data: EMPTY };
  }
  const has = (name) => name in sources;
  if (has('zones')) {
    layers.push(
      { id: 'zones-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', paint: {
        'fill-color': ['match', ['get', 'zone_class'], 'urban', '#dbe4ff', 'rural', '#e3f5e1', '#fbf0d9'],
        'fill-opacity': 0.55 } },
      { id: 'zones-line', type: 'line', source: 'zones', 'source-layer': 'zones',
        paint: { 'line-color': '#8a94a6', 'line-width': 1.2, 'line-dasharray': [4, 3] } },
    );
  }
  if (has('roads')) {
    const width = ['match', ['get', 'highway'], ['motorway', 'trunk', 'primary'], 5, ['secondary', 'tertiary'], 3.5, 2];
    layers.push(
      { id: 'roads-casing', type: 'line', source: 'roads', 'source-layer': 'roads',
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': '#b8bfca', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, ['+', width, 3]] } },
      { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads',
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 16, width] } },
    );
  }
  // The selected incident's area, cut off by its device: its lines in a wide amber band under the
  // grid's own, its transformers ringed (GET /api/v1/incidents/{id}/area).
  layers.push(
    { id: 'area-lines', type: 'line', source: 'area', filter: ['==', ['get', 'part'], 'lines'],
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#f59e0b', 'line-opacity': 0.45, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 4, 16, 12] } },
    { id: 'area-transformers', type: 'circle', source: 'area', filter: ['==', ['get', 'part'], 'transformers'],
      paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 4, 16, 10], 'circle-color': 'rgba(245, 158, 11, 0.35)',
        'circle-stroke-color': '#d97706', 'circle-stroke-width': 2 } });
  if (has('lines')) {
    layers.push({ id: 'lines', type: 'line', source: 'lines', 'source-layer': 'lines', paint: {
      'line-color': ['case', ['>=', ['get', 'voltage_kv'], 1], '#b45309', '#8a97aa'],
      'line-width': ['interpolate', ['linear'], ['zoom'], 8, ['case', ['>=', ['get', 'voltage_kv'], 1], 1, 0.5],
        16, ['case', ['>=', ['get', 'voltage_kv'], 1], 3, 0.8]],
      'line-opacity': 0.85 } });
  }
  if (has('customers')) {
    layers.push({ id: 'customers', type: 'circle', source: 'customers', 'source-layer': 'customers', paint: {
      'circle-radius': ['match', ['get', 'priority'], ['critical', 'life_support'], 4.5, 2.5],
      'circle-color': ['match', ['get', 'priority'], ['critical', 'life_support'], '#db2777', '#94a3b8'],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 0.5 } });
  }
  if (has('transformers')) {
    layers.push({ id: 'transformers', type: 'circle', source: 'transformers', 'source-layer': 'transformers', paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 2.5, 17, 6], 'circle-color': '#ffffff',
      'circle-stroke-color': '#6d28d9', 'circle-stroke-width': 2 } });
  }
  if (has('switches')) {
    layers.push({ id: 'switches', type: 'circle', source: 'switches', 'source-layer': 'switches', paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 3, 17, 7],
      'circle-color': ['case', ['get', 'is_open'], '#ffffff', '#111827'],
      'circle-stroke-color': ['case', ['get', 'is_open'], '#dc2626', '#ffffff'],
      'circle-stroke-width': ['case', ['get', 'is_open'], 2.5, 1] } });
  }
  // The selected incident's predicted device: a yellow ring on the transformer or switch.
  for (const layer of ['transformers', 'switches']) {
    if (!has(layer)) continue;
    layers.push({ id: `device-${layer}`, type: 'circle', source: layer, 'source-layer': layer,
      filter: ['==', ['get', 'code'], ''],
      paint: { 'circle-radius': 16, 'circle-color': 'rgba(250, 204, 21, 0.25)', 'circle-stroke-color': '#ca8a04',
        'circle-stroke-width': 3 } });
  }
  // The switch a dispatcher is about to operate, while the confirmation is open: a source of its
  // own, since a filter changed on the tiles' layers while they reload (after the switching) made
  // MapLibre keep the old tiles.
  layers.push({ id: 'switch-target', type: 'circle', source: 'switch-target', paint: {
    'circle-radius': 20, 'circle-color': 'rgba(220, 38, 38, 0.2)', 'circle-stroke-color': '#dc2626', 'circle-stroke-width': 4 } });
  layers.push(
    { id: 'closures', type: 'line', source: 'closures', layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#dc2626', 'line-width': 6, 'line-dasharray': [1, 1] } },
    { id: 'draft', type: 'line', source: 'draft', paint: { 'line-color': '#dc2626', 'line-width': 4, 'line-opacity': 0.6 } },
    { id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 5, 'circle-color': '#dc2626' } },
    { id: 'trails', type: 'line', source: 'trails', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['get', 'colour'], 'line-width': 3, 'line-opacity': 0.45 } },
    { id: 'routes', type: 'line', source: 'routes', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#2563eb', 'line-width': ['case', ['get', 'selected'], 6, 3.5],
        'line-opacity': ['case', ['get', 'selected'], 0.9, 0.55] } },
    { id: 'route-eta', type: 'symbol', source: 'routes', layout: {
      'symbol-placement': 'line-center', 'text-field': ['get', 'label'], 'text-size': 13, 'text-font': ['sans-serif'] },
    paint: { 'text-color': '#1e3a8a', 'text-halo-color': '#ffffff', 'text-halo-width': 2 } },
    { id: 'incident-halo', type: 'circle', source: 'incidents', filter: ['==', ['get', 'id'], -1],
      paint: { 'circle-radius': 26, 'circle-color': 'rgba(14, 165, 233, 0.15)', 'circle-stroke-color': '#0284c7',
        'circle-stroke-width': 3 } },
    { id: 'incidents', type: 'symbol', source: 'incidents', layout: {
      'icon-image': ['get', 'icon'],
      'icon-size': ['interpolate', ['linear'], ['get', 'customers'], 0, 0.6, 20, 0.8, 200, 1.1, 2000, 1.4],
      'icon-allow-overlap': true, 'icon-ignore-placement': true, 'symbol-sort-key': ['get', 'rank'],
      'text-field': ['step', ['zoom'], '', 13, ['concat', '#', ['to-string', ['get', 'id']]]],
      'text-font': ['sans-serif'], 'text-size': 12, 'text-offset': [0, 1.6], 'text-anchor': 'top',
      'text-optional': true },
    paint: { 'text-color': '#111827', 'text-halo-color': '#ffffff', 'text-halo-width': 2 } },
    { id: 'crews', type: 'symbol', source: 'crews', layout: {
      'icon-image': ['get', 'icon'], 'icon-rotate': ['get', 'heading'], 'icon-rotation-alignment': 'map',
      'icon-allow-overlap': true, 'icon-ignore-placement': true,
      'text-field': ['get', 'label'], 'text-font': ['sans-serif'], 'text-size': 13, 'text-offset': [1.3, 0],
      'text-anchor': 'left', 'text-allow-overlap': true },
    paint: { 'text-color': ['get', 'colour'], 'text-halo-color': '#ffffff', 'text-halo-width': 2.5,
      'icon-opacity': ['case', ['get', 'stale'], 0.75, 1] } },
  );
  return { version: 8, sources, layers };
}

let mapVersion = 0;

function tileUrl(layer, version) {
  return `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt?v=${version}`;
}

// --- the map ---------------------------------------------------------------------------------

/**
 * The map in `container`. `onIncident(id)` on a click on an incident, `onSwitch(properties, lngLat, at)`
 * on a switch (`at`: where it stands), `onClosure(id, lngLat)` on a road closure, `onClick(lngLat)` elsewhere (tools use it).
 */
export function createMap(container, { settings, withCustomers, onIncident, onSwitch, onClosure, onClick }) {
  const map = new maplibregl.Map({
    container,
    style: style(settings, { withCustomers }),
    bounds: settings.bounds ?? undefined,
    fitBoundsOptions: { padding: 40 },
    center: settings.bounds ? undefined : [0, 0],
    zoom: settings.bounds ? undefined : 1,
    attributionControl: { compact: false },
    maxZoom: 20,
    // The tiles need the bearer token; nothing else leaves with it.
    transformRequest: (url) => (url.startsWith(`${location.origin}/tiles/`)
      ? { url, headers: { Authorization: `Bearer ${token()}` } } : { url }),
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  translateMap(map);
  map.setMissingStyleImageResolver(async (id) => drawMissingIcon(map, id));
  const data = { incidents: EMPTY, crews: EMPTY, trails: EMPTY, routes: EMPTY, closures: EMPTY, draft: EMPTY,
    'switch-target': EMPTY, area: EMPTY };
  let loaded = false;
  const ready = new Promise((resolve) => map.once('load', () => { loaded = true; resolve(); }));

  let clickHandler = null; // a tool's, while one is active
  map.on('click', (event) => {
    if (clickHandler) {
      clickHandler(event.lngLat);
      return;
    }
    const box = [[event.point.x - 6, event.point.y - 6], [event.point.x + 6, event.point.y + 6]];
    const incident = map.queryRenderedFeatures(box, { layers: ['incidents'] })[0];
    if (incident) return onIncident(incident.properties.id);
    const sw = map.getLayer('switches') && map.queryRenderedFeatures(box, { layers: ['switches'] })[0];
    if (sw) return onSwitch(sw.properties, event.lngLat, sw.geometry.coordinates);
    const closure = map.queryRenderedFeatures(box, { layers: ['closures'] })[0];
    if (closure) return onClosure?.(closure.properties.id, event.lngLat);
    return onClick?.(event.lngLat);
  });
  for (const layer of ['incidents', 'crews', 'switches', 'closures']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = clickHandler ? 'crosshair' : ''; });
  }

  function set(name, collection) {
    data[name] = collection;
    map.getSource(name)?.setData(collection);
  }

  return {
    map,
    data,
    ready,
    /** The incidents on the map, most urgent drawn on top. */
    showIncidents(incidents, selected, now = Date.now()) {
      const sorted = [...incidents].sort((a, b) => byUrgency(a, b, now));
      set('incidents', { type: 'FeatureCollection', features: sorted.filter((i) => i.location).map((i, index) => {
        const sla = slaState(i, now) ?? 'none';
        return { type: 'Feature', geometry: i.location, properties: {
          id: i.id, status: i.status, sla, hazard: i.hazard, customers: i.customers_affected ?? 0,
          icon: `inc-${SHAPES[i.status] ?? 'ring'}-${sla}${i.hazard ? '-hazard' : ''}`,
          rank: sorted.length - index,
        } };
      }) });
      if (!loaded) return; // drawn again once the style is in
      map.setFilter('incident-halo', ['==', ['get', 'id'], selected ?? -1]);
      const device = incidents.find((i) => i.id === selected)?.device;
      for (const [layer, kind] of [['transformers', 'transformer'], ['switches', 'switch']]) {
        if (map.getLayer(`device-${layer}`)) {
          map.setFilter(`device-${layer}`, ['==', ['get', 'code'], device?.kind === kind ? device.code : '']);
        }
      }
    },
    showCrews(crews, trails) {
      const positioned = [...crews].filter((c) => c.lon !== null && c.lon !== undefined && c.status !== 'off_duty');
      set('crews', { type: 'FeatureCollection', features: positioned.map((c) => ({
        type: 'Feature', geometry: { type: 'Point', coordinates: [c.lon, c.lat] }, properties: {
          code: c.code, status: c.status, stale: Boolean(c.stale), heading: c.heading ?? 0,
          colour: CREW_COLOURS[c.status] ?? CREW_COLOURS.off_duty,
          icon: `crew-${c.status}-${c.heading === null || c.heading === undefined ? 'dot' : 'arrow'}-${c.stale ? 'stale' : 'fresh'}`,
          label: c.stale ? `${c.code} (${t('crew.stale_short')})` : c.code,
        } })) });
      set('trails', { type: 'FeatureCollection', features: [...trails.entries()].filter(([, p]) => p.length > 1)
        .map(([code, points]) => ({ type: 'Feature', geometry: { type: 'LineString', coordinates: points.map((p) => [p[0], p[1]]) },
          properties: { code, colour: CREW_COLOURS[crews.find((c) => c.code === code)?.status] ?? '#6b7280' } })) });
    },
    showRoutes(routes, selected) {
      set('routes', { type: 'FeatureCollection', features: [...routes.entries()].filter(([, r]) => r?.geometry)
        .map(([id, r]) => ({ type: 'Feature', geometry: r.geometry, properties: {
          incident: id, crew: r.properties.crew, selected: id === selected,
          label: `${r.properties.crew} · ${t('map.eta', { eta: Math.max(1, Math.round(r.properties.eta_s / 60)) })}`,
        } })) });
    },
    showClosures(closures) {
      set('closures', { type: 'FeatureCollection', features: [...closures.values()].filter((c) => c.geometry)
        .map((c) => ({ type: 'Feature', geometry: c.geometry, properties: { id: c.id, reason: c.reason } })) });
    },
    showDraft(points) {
      const features = points.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
      if (points.length > 1) features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: points }, properties: {} });
      set('draft', { type: 'FeatureCollection', features });
    },
    /** The selected incident's area (GeoJSON of GET /api/v1/incidents/{id}/area; null: none). */
    showArea(area) {
      set('area', area ?? EMPTY);
    },
    /** Ring the switch about to be operated, at [lon, lat] (null: none). */
    markSwitch(code, at) {
      set('switch-target', { type: 'FeatureCollection', features: code && at
        ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { code } }] : [] });
    },
    /** The map's tiles changed (switching, an import): fetch them again. */
    reloadTiles(version) {
      mapVersion = version ?? mapVersion + 1;
      for (const layer of Object.keys(settings.tile_layers)) map.getSource(layer)?.setTiles([tileUrl(layer, mapVersion)]);
    },
    /** While a tool is on, clicks go to `handler` (null: back to selecting). */
    takeClicks(handler) {
      clickHandler = handler;
      map.getCanvas().style.cursor = handler ? 'crosshair' : '';
      if (handler) map.doubleClickZoom.disable(); else map.doubleClickZoom.enable();
    },
    flyTo(location) {
      if (location?.coordinates) map.easeTo({ center: location.coordinates, zoom: Math.max(map.getZoom(), 15) });
    },
    popup(lngLat, element) {
      return new maplibregl.Popup({ closeOnClick: true, maxWidth: '340px' }).setLngLat(lngLat).setDOMContent(element).addTo(map);
    },
  };
}
