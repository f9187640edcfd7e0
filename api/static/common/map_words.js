// MapLibre's own words in the page's language: the tooltips and screen-reader labels of its zoom,
// compass and credit buttons, and the map's own label. MapLibre writes them in English when a
// control is added (its `locale` option is read once, at creation, and the public map switches
// language in place), so the page writes them from its catalog: when the map is made, and again
// after a language switch or a control added anew.
import { t } from './i18n.js';

const WORDS = [
  ['.maplibregl-ctrl-zoom-in', 'maplibre.zoom_in'],
  ['.maplibregl-ctrl-zoom-out', 'maplibre.zoom_out'],
  ['.maplibregl-ctrl-compass', 'maplibre.reset_bearing'],
  ['.maplibregl-ctrl-attrib-button', 'maplibre.toggle_attribution'],
  ['.maplibregl-canvas', 'maplibre.map'],
];

export function translateMap(map) {
  const container = map.getContainer();
  for (const [selector, key] of WORDS) {
    for (const element of container.querySelectorAll(selector)) {
      element.setAttribute('aria-label', t(key));
      if (element.tagName !== 'CANVAS') element.title = t(key); // a tooltip over the whole map would be noise
    }
  }
}
