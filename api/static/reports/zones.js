// The service zones (片区) for the reports' zone choices: GET /api/v1/grid/zones, code and name.

import { call } from './api.js';
import { t } from './common/i18n.js';
import { choice } from './section.js';

/** [{code, name}] of every zone (a grid has tens, not thousands: one page). */
export async function loadZones() {
  const page = await call('GET', '/api/v1/grid/zones?limit=5000');
  return page.features.map((f) => ({ code: f.properties.code, name: f.properties.name ?? f.properties.code }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** A <select> of "all zones" and each zone. */
export function zoneChoice(id, zones, value, onchange) {
  return choice(id, t('filter.zone'), [['', t('filter.all_zones')], ...zones.map((z) => [z.code, `${z.code} ${z.name}`])],
    value, onchange);
}
