// How the reports show their values: counts with the language's grouping, minutes to 0.1, shares as
// percentages, times in the dispatch time zone; an empty value is a dash, never a 0. Exports write
// the same values plainly (no grouping), so that Excel reads numbers as numbers.

import { formatTime, language } from './common/i18n.js';

const EMPTY = '–';
let timeZone;

/** The dispatch time zone (the server's DISPATCH_TIMEZONE): reports' dates and times are in it. */
export function useTimeZone(zone) {
  timeZone = zone;
}

export function reportTimeZone() {
  return timeZone;
}

function fixed(value, digits) {
  return new Intl.NumberFormat(language(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** An index's value: as many decimals as it needs to differ from its neighbours (ASAI 0.99987). */
function indexValue(value) {
  const digits = Math.abs(value) >= 100 ? 1 : Math.abs(value) >= 1 ? 3 : 5;
  return new Intl.NumberFormat(language(), { maximumFractionDigits: digits }).format(value);
}

/** A time in the dispatch zone, "11-03 14:05" (the date when `withYear`, "2026-11-03 14:05"). */
export function localTime(iso, { withYear = false } = {}) {
  if (!iso) return '';
  if (!withYear) return formatTime(iso, { timeZone, withDate: true });
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit',
    day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso))
    .map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** The text shown in a cell of a column of `kind`. */
export function shown(value, kind) {
  if (value === null || value === undefined || value === '') return EMPTY;
  if (Array.isArray(value)) return value.length ? value.join(', ') : EMPTY;
  if (typeof value !== 'number') return kind === 'time' ? localTime(value) : String(value);
  if (kind === 'count') return new Intl.NumberFormat(language()).format(value);
  if (kind === 'minutes') return fixed(value, 1);
  if (kind === 'share') return new Intl.NumberFormat(language(), { style: 'percent', minimumFractionDigits: 1,
    maximumFractionDigits: 1 }).format(value);
  if (kind === 'fine_share') return new Intl.NumberFormat(language(), { style: 'percent', minimumFractionDigits: 4,
    maximumFractionDigits: 4 }).format(value);
  return indexValue(value);
}

/**
 * The value a CSV file gets: plain numbers, shares as "87.5%" (Excel reads it as a percentage), and
 * text that Excel would take for a formula ("=...", "+...", "-...", "@...") kept as text by a leading '.
 */
export function plain(value, kind) {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(' ');
  if (typeof value !== 'number') {
    const text = kind === 'time' ? localTime(value, { withYear: true }) : String(value);
    return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  }
  if (kind === 'share') return `${(value * 100).toFixed(1)}%`;
  if (kind === 'fine_share') return `${(value * 100).toFixed(4)}%`;
  if (kind === 'minutes') return value.toFixed(1);
  return String(value);
}

/** The workbook's number format for a column of `kind` (dispatch/reporting/workbook.py FORMATS). */
export function workbookFormat(kind) {
  return { count: 'integer', minutes: 'decimal', share: 'percent' }[kind];
}

/** Whether a column of `kind` holds numbers (right-aligned). */
export function numeric(kind) {
  return ['count', 'minutes', 'share', 'value'].includes(kind);
}

/** Today's date in the dispatch zone, "2026-11-03" (the browser's clock, which the tests set). */
export function today(now = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** The first and last day of the month before `day` ("YYYY-MM-DD"): the monthly review's period. */
export function lastMonth(day) {
  const [year, month] = day.split('-').map(Number);
  const first = new Date(Date.UTC(year, month - 2, 1));
  const last = new Date(Date.UTC(year, month - 1, 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

/** From the first of `day`'s month to `day`. */
export function thisMonth(day) {
  return { from: `${day.slice(0, 8)}01`, to: day };
}
