// The hotspot map (MapLibre GL JS): the app's own vector tiles as the base (zones, roads, lines;
// /tiles/..., sent with the bearer token, as on the desk), the places where faults repeat as red
// circles sized by their count and the customers out again and again as purple dots. The style
// and its layers are declared here, in one place.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from './common/i18n.js';
import { translateMap } from './common/map_words.js';
import { token } from './api.js';
import { h } from './common/dom.js';

const BASE_LAYERS = ['zones', 'roads', 'lines'];
const TILE_MAX_ZOOM = 16;
const EMPTY = { type: 'FeatureCollection', features: [] };
export const COLOURS = { faults: '#dc2626', frequent: '#7c3aed' };

function style(settings) {
  const sources = { faults: { type: 'geojson', data: EMPTY }, frequent: { type: 'geojson', data: EMPTY } };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }];
  if (settings.basemap_url) {
    sources.basemap = { type: 'raster', tiles: [settings.basemap_url], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.7 } });
  }
  for (const layer of BASE_LAYERS) {
    const minzoom = settings.tile_layers?.[layer];
    if (minzoom === undefined) continue;
    sources[layer] = { type: 'vector', tiles: [`${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt`], minzoom,
      maxzoom: Math.max(minzoom, TILE_MAX_ZOOM), attribution: layer === 'roads' ? t('map.roads_attribution') : undefined };
  }
  if (sources.zones) {
    layers.push(
      { id: 'zones-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', paint: {
        'fill-color': ['match', ['get', 'zone_class'], 'urban', '#dbe4ff', 'rural', '#e3f5e1', '#fbf0d9'], 'fill-opacity': 0.5 } },
      { id: 'zones-line', type: 'line', source: 'zones', 'source-layer': 'zones',
        paint: { 'line-color': '#8a94a6', 'line-width': 1.2, 'line-dasharray': [4, 3] } },
    );
  }
  if (sources.roads) {
    layers.push({ id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads',
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 16, 4] } });
  }
  if (sources.lines) {
    layers.push({ id: 'lines', type: 'line', source: 'lines', 'source-layer': 'lines', paint: {
      'line-color': ['case', ['>=', ['get', 'voltage_kv'], 1], '#b45309', '#8a97aa'], 'line-width': 1, 'line-opacity': 0.7 } });
  }
  layers.push(
    { id: 'frequent', type: 'circle', source: 'frequent', paint: {
      'circle-radius': ['interpolate', ['linear'], ['get', 'interruptions'], 1, 4, 10, 9],
      'circle-color': COLOURS.frequent, 'circle-opacity': 0.8, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } },
    { id: 'faults', type: 'circle', source: 'faults', paint: {
      'circle-radius': ['interpolate', ['linear'], ['get', 'faults'], 1, 6, 10, 18],
      'circle-color': COLOURS.faults, 'circle-opacity': 0.55, 'circle-stroke-color': '#7f1d1d', 'circle-stroke-width': 2 } },
    { id: 'faults-label', type: 'symbol', source: 'faults', layout: {
      'text-field': ['concat', ['get', 'code'], ' ×', ['to-string', ['get', 'faults']]], 'text-font': ['sans-serif'],
      'text-size': 12, 'text-offset': [0, 1.4], 'text-anchor': 'top', 'text-optional': true },
    paint: { 'text-color': '#7f1d1d', 'text-halo-color': '#ffffff', 'text-halo-width': 2 } },
  );
  return { version: 8, sources, layers };
}

function collection(rows, properties) {
  return { type: 'FeatureCollection', features: rows.filter((r) => Array.isArray(r.location) && r.location.length === 2)
    .map((r) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: r.location }, properties: properties(r) })) };
}

/** The map in `container`, framed on the grid (settings.bounds). */
export function createHotspotMap(container, settings) {
  const map = new maplibregl.Map({
    container, style: style(settings),
    bounds: settings.bounds ?? undefined, fitBoundsOptions: { padding: 40 },
    center: settings.bounds ? undefined : [0, 0], zoom: settings.bounds ? undefined : 1,
    attributionControl: { compact: false }, maxZoom: 19, cooperativeGestures: false,
    transformRequest: (url) => (url.startsWith(`${location.origin}/tiles/`)
      ? { url, headers: { Authorization: `Bearer ${token()}` } } : { url }),
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  translateMap(map);
  const data = { faults: EMPTY, frequent: EMPTY };
  const ready = new Promise((resolve) => map.once('load', resolve));

  map.on('click', (event) => {
    const box = [[event.point.x - 6, event.point.y - 6], [event.point.x + 6, event.point.y + 6]];
    const [found] = map.queryRenderedFeatures(box, { layers: ['faults', 'frequent'] });
    if (!found) return;
    const p = found.properties;
    const text = found.layer.id === 'faults'
      ? [h('b', {}, `${p.code} ${p.name ?? ''}`), h('br'), t('map.faults_popup', { n: p.faults, level: t(`level.${p.level}`) })]
      : [h('b', {}, p.account_no), h('br'), t('map.frequent_popup', { n: p.interruptions, minutes: p.minutes })];
    new maplibregl.Popup({ closeOnClick: true }).setLngLat(event.lngLat).setDOMContent(h('div', { class: 'popup' }, text)).addTo(map);
  });
  for (const layer of ['faults', 'frequent']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }

  function set(name, features) {
    data[name] = features;
    map.getSource(name)?.setData(features);
  }

  return {
    map, data, ready,
    showFaults(rows) {
      set('faults', collection(rows, (r) => ({ code: r.code, name: r.name ?? '', level: r.level, faults: r.faults })));
    },
    showFrequent(rows) {
      set('frequent', collection(rows, (r) => ({ account_no: r.account_no, interruptions: r.interruptions,
        minutes: r.minutes ?? 0 })));
    },
    /** Draw what was given before the style loaded. */
    redraw() {
      for (const [name, features] of Object.entries(data)) map.getSource(name)?.setData(features);
    },
  };
}

/** What the map's marks mean. */
export function legend() {
  const item = (colour, label) => h('li', {}, h('span', { class: `swatch swatch-${colour}` }), label);
  return h('ul', { class: 'legend', id: 'hotspot-legend' },
    item('faults', t('map.legend_faults')), item('frequent', t('map.legend_frequent')));
}
