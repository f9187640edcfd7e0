// The outage map (MapLibre GL JS, WebGL): the roads from the app's public vector tiles (no internet
// needed; a raster base map from the settings goes under them), and each outage's area filled by
// its status: out red, out again dark red, planned work to come amber, restored green. A click on an area selects it.
// The roads' OpenStreetMap credit is in the page's language, and follows its switch.

import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';
import { t } from './common/i18n.js';
import { translateMap } from './common/map_words.js';

export const STATUS_COLOURS = { out: '#dc2626', reopened: '#7f1d1d', upcoming: '#d97706', restored: '#16a34a' };
const ROADS_MIN_ZOOM = 10;
const EMPTY = { type: 'FeatureCollection', features: [] };

function style(basemap) {
  const sources = {
    roads: { type: 'vector', tiles: [`${location.origin}/api/v1/public/tiles/roads/{z}/{x}/{y}.mvt`],
      minzoom: ROADS_MIN_ZOOM, maxzoom: 16 },
    outages: { type: 'geojson', data: EMPTY },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }];
  if (basemap) {
    sources.basemap = { type: 'raster', tiles: [basemap], tileSize: 256, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.7 } });
  }
  const colour = ['match', ['get', 'shown'], 'reopened', STATUS_COLOURS.reopened, 'restored', STATUS_COLOURS.restored,
    'upcoming', STATUS_COLOURS.upcoming, STATUS_COLOURS.out];
  layers.push(
    { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads', paint: { 'line-color': '#ffffff',
      'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 6] } },
    { id: 'roads-edge', type: 'line', source: 'roads', 'source-layer': 'roads', paint: { 'line-color': '#cbd5e1',
      'line-width': 0.5 } },
    { id: 'outages-fill', type: 'fill', source: 'outages', paint: { 'fill-color': colour,
      'fill-opacity': ['case', ['get', 'selected'], 0.55, 0.3] } },
    { id: 'outages-line', type: 'line', source: 'outages', paint: { 'line-color': colour,
      'line-width': ['case', ['get', 'selected'], 4, 2] } },
  );
  return { version: 8, sources, layers };
}

/** The extent of a feature collection's geometries, or null. */
function extent(features) {
  let box = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      box = box ? [Math.min(box[0], c[0]), Math.min(box[1], c[1]), Math.max(box[2], c[0]), Math.max(box[3], c[1])]
        : [c[0], c[1], c[0], c[1]];
    } else c.forEach(visit);
  };
  features.forEach((f) => f.geometry && visit(f.geometry.coordinates));
  return box;
}

/**
 * The roads' OpenStreetMap credit in the current language, in place of `previous` (its control in
 * the language before, or null). A new control each time: MapLibre reads a source's attribution
 * once, and a control's only when the map's sources change, so neither follows a language switch.
 */
function creditRoads(map, previous) {
  if (previous) map.removeControl(previous);
  const control = new maplibregl.AttributionControl({ compact: true, customAttribution: t('map.roads_attribution') });
  map.addControl(control);
  return control;
}

export function createMap(container, { bounds, basemap, onSelect }) {
  const map = new maplibregl.Map({
    container, style: style(basemap), bounds: bounds ?? undefined, fitBoundsOptions: { padding: 30 },
    center: bounds ? undefined : [0, 0], zoom: bounds ? undefined : 1, attributionControl: false,
    maxZoom: 18, cooperativeGestures: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  let credit = creditRoads(map, null);
  translateMap(map);
  let features = [];
  let framed = false;
  map.on('load', () => container.setAttribute('data-ready', 'true'));
  map.on('click', 'outages-fill', (event) => onSelect(event.features[0].id));
  map.on('mouseenter', 'outages-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'outages-fill', () => { map.getCanvas().style.cursor = ''; });

  function draw(selected) {
    const source = map.getSource('outages');
    if (!source) return;
    source.setData({ type: 'FeatureCollection', features: features.map((f) => ({ ...f,
      properties: { shown: f.properties.reopened ? 'reopened' : f.properties.status, selected: f.id === selected } })) });
  }

  return {
    map,
    show(collection, selected) {
      features = collection.filter((f) => f.geometry);
      if (map.isStyleLoaded()) draw(selected);
      else map.once('load', () => draw(selected));
      const box = extent(features);
      if (!framed && box) { // the first time: the outages in view; afterwards the reader's view stays
        framed = true;
        map.fitBounds(box, { padding: 40, maxZoom: 15, duration: 0 });
      }
    },
    /** The map's own words (the roads' credit) in the language just chosen. */
    showLanguage() {
      credit = creditRoads(map, credit);
      translateMap(map);
    },
    focus(id) {
      const feature = features.find((f) => f.id === id);
      const box = feature && extent([feature]);
      if (box) map.fitBounds(box, { padding: 60, maxZoom: 16 });
    },
  };
}
