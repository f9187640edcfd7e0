// The fault-cause taxonomy (GET /api/v1/causes: category.cause with labels in en and zh-CN), so that
// causes read in the page's language wherever a report names one.

import { call } from './api.js';
import { language } from './common/i18n.js';

let labels = new Map();

/** Load the taxonomy once; a page without it shows the codes. */
export async function loadCauses() {
  try {
    const taxonomy = await call('GET', '/api/v1/causes');
    labels = new Map(Object.entries(taxonomy).flatMap(([category, body]) =>
      Object.entries(body.causes ?? {}).map(([cause, names]) => [`${category}.${cause}`, names])));
  } catch {
    labels = new Map();
  }
}

/** "equipment.cable" -> "Cable or joint" / "电缆及接头"; an unknown code (or none) as it is. */
export function causeName(code, fallback = code) {
  const names = labels.get(code);
  return names ? (names[language()] ?? names.en ?? fallback) : fallback;
}

/** Report rows grouped by cause, labelled in the page's language. */
export function withCauseLabels(rows, groupBy) {
  return groupBy === 'cause' ? rows.map((row) => ({ ...row, label: causeName(row.group, row.label) })) : rows;
}
