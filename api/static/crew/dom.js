// Small helpers for building the page and showing times.
// Elements are built from code, never from HTML strings, so that text coming from the server
// (addresses, problem details) can never inject markup.

import { language, t } from './common/i18n.js';

export { h } from './common/dom.js';

/** Replace everything inside `parent`; unlike the shared fill, '' and 0 are dropped too (the job
 *  screens write `count && h(...)`). */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat().filter(Boolean));
  return parent;
}

/**
 * ISO 8601 with the phone's own UTC offset ("2026-11-20T16:05:09.120+08:00"): the API wants an
 * offset, and the local one keeps the audit trail readable as the crew saw its clock.
 */
export function isoWithOffset(date = new Date()) {
  const pad = (n, width = 2) => String(Math.trunc(Math.abs(n))).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** "14:05" in the phone's time zone. */
export function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString(language(), { hour: '2-digit', minute: '2-digit' }) : '';
}

/** "in 23 min" or "12 min late", against a deadline. */
export function untilDeadline(iso, now = Date.now()) {
  if (!iso) return '';
  const minutes = Math.round((new Date(iso).getTime() - now) / 60000);
  return minutes >= 0 ? t('time.in', { n: minutes }) : t('time.late', { n: -minutes });
}

/** "7 min" for a driving time in seconds. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes < 60 ? t('time.minutes', { n: minutes }) : t('time.hours', { h: Math.floor(minutes / 60), n: minutes % 60 });
}

/** An Idempotency-Key. crypto.randomUUID exists only in secure contexts (https, localhost);
 * a crew phone reaching the server by plain http on a LAN address still needs a unique key. */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
