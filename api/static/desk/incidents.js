// What the desk reads from an incident: its SLA state, the deadline it races, how urgent it is,
// and the words and times to show for it.

import { formatTime, t } from './common/i18n.js';

/** Statuses with a clock running (the list); restored ones wait for closing and stay on the map. */
export const OPEN = ['new', 'assigned', 'accepted', 'en_route', 'on_site'];
export const SHOWN = [...OPEN, 'restored'];
export const STATUSES = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'restored', 'closed', 'cancelled', 'merged'];
export const SLA_STATES = ['on_track', 'at_risk', 'breached'];
/** The lifecycle events the desk may record, and the statuses each may follow
 * (dispatch/incidents/lifecycle.py ALLOWED_AFTER). A restored order is closed by accepting its
 * closing report (workorder.js), not by an event. */
export const EVENTS = {
  accepted: ['assigned'],
  en_route: ['assigned', 'accepted'],
  on_site: ['assigned', 'accepted', 'en_route'],
  restored: ['on_site'],
  cancelled: ['new', 'assigned', 'accepted', 'en_route'],
};
export const REPORT_KINDS = ['no_power', 'partial_power', 'low_voltage', 'flicker', 'wire_down', 'fire', 'other'];

let desk = { timezone: 'Asia/Shanghai' };

export function useDeskSettings(settings) {
  desk = settings;
}

/** The desk's time zone (DISPATCH_TIMEZONE), in which every time is shown and entered. */
export function deskZone() {
  return desk.timezone;
}

export function deskTime(iso, options = {}) {
  return formatTime(iso, { timeZone: desk.timezone, ...options });
}

/** The deadline the incident races now: arrival until the crew is on site, then restoration. */
export function deadline(incident) {
  if (incident.on_site_at) return incident.restored_at ? null : incident.restore_deadline;
  return incident.arrival_deadline;
}

/**
 * on_track | at_risk | breached | null. The server's (`sla_state`: the sweeper's last warning),
 * except that a deadline passed on this screen's clock is breached at once: the sweeper runs
 * every 30 s, and "on track" beside a late countdown would be a lie. Without the server's state
 * (an older server) it is worked out here from the deadline and the driving time.
 */
export function slaState(incident, now = Date.now()) {
  if (!OPEN.includes(incident.status)) return null;
  const due = deadline(incident);
  const left = due ? new Date(due).getTime() - now : Infinity;
  if (left < 0) return 'breached';
  if ('sla_state' in incident) return incident.sla_state ?? 'on_track';
  if (!due) return null;
  if (!incident.on_site_at && incident.eta_s !== null && incident.eta_s !== undefined && left < incident.eta_s * 1000) {
    return 'at_risk';
  }
  return 'on_track';
}

/** Seconds of slack: to the deadline, less the driving time still ahead. */
export function slack(incident, now = Date.now()) {
  const due = deadline(incident);
  if (!due) return Infinity;
  const drive = incident.on_site_at ? 0 : (incident.eta_s ?? 0);
  return (new Date(due).getTime() - now) / 1000 - drive;
}

/** The desk's order: hazards, then critical customers, then the least slack, then the most customers out. */
export function byUrgency(a, b, now = Date.now()) {
  return (Number(b.hazard) - Number(a.hazard))
    || (Number(b.critical_customers > 0) - Number(a.critical_customers > 0))
    || (slack(a, now) - slack(b, now))
    || ((b.customers_affected ?? 0) - (a.customers_affected ?? 0))
    || (a.id - b.id);
}

/** "12:34" left, "1:02:03" left, or "+4:05" past the deadline (late). */
export function countdown(iso, now = Date.now()) {
  if (!iso) return { text: '—', late: false };
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const late = seconds < 0;
  let s = Math.abs(seconds);
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const pad = (n) => String(n).padStart(2, '0');
  const body = hours ? `${hours}:${pad(minutes)}:${pad(s)}` : `${minutes}:${pad(s)}`;
  return { text: late ? `+${body}` : body, late };
}

/** "7 min" for a driving time in seconds. */
export function minutes(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  return t('unit.minutes', { n: Math.max(1, Math.round(seconds / 60)) });
}

export function statusLabel(status) {
  return t(`status.${status}`);
}

export function slaLabel(state) {
  return state ? t(`sla.${state}`) : t('sla.none');
}

export function kindLabel(kind) {
  return t(`kind.${kind ?? 'other'}`);
}

/** "Transformer T2" / "Switch BR1" for the predicted device. */
export function deviceLabel(device) {
  if (!device?.kind) return t('device.unknown');
  return `${t(`device.${device.kind}`)} ${device.code ?? ''}`.trim();
}

/** Whom a deadline warning reached, as the server recorded it: shown on the crew's phone, sent to
 * the station head, or the desk alerted (instead of a person who could not be reached). A warning
 * recorded before the server said whom it reached names only whom it was for. */
export function toldLabel(warning) {
  const w = warning ?? {};
  if (w.sent_to === 'crew') return t('told.crew', { crew: w.crew ?? '' });
  if (w.sent_to === 'station_head') return t('told.station_head', { name: w.station_head ?? '' });
  if (w.sent_to === 'desk' && w.instead_of) return labelOr('told.instead_of', w.instead_of);
  if (w.sent_to === 'desk') return t('told.desk');
  if (w.sent_to === 'nobody') return labelOr('told.nobody', w.because);
  return t('told.for', { who: labelOr('notify', w.notify) });
}

/** A catalog's `${prefix}.${value}`, or the value itself in words when the catalog lacks it
 * (a utility's own warning recipient, a newer server's event). */
export function labelOr(prefix, value) {
  const key = `${prefix}.${value}`;
  const label = t(key);
  return label === key ? String(value ?? '').replaceAll('_', ' ') : label;
}

/** What an estimated restoration time was made of, in words: "ETA 18 min + typical repair 95 min
 * (Cable or joint, transformer faults, zone Z1, 42 past repairs)". `causeName(code)` names a cause. */
export function etrBasis(basis, causeName = (code) => code) {
  if (!basis) return '';
  if (basis.waiting_for_crew) return t('etr.none');
  const arrival = basis.on_site ? t('etr.on_site') : t('etr.eta', { eta: minutes(basis.eta_s) });
  const repair = t('etr.repair', { repair: minutes(basis.repair_s) });
  if (basis.group === 'default') return `${arrival} + ${repair} (${t('etr.default')})`;
  const what = [basis.cause && causeName(basis.cause),
    basis.device_kind && t('etr.kind_faults', { kind: t(`device.${basis.device_kind}`) }),
    basis.zone && t('etr.zone', { zone: basis.zone })].filter(Boolean).join(t('etr.separator')) || t('etr.all');
  return `${arrival} + ${repair} (${t('etr.history', { what, n: basis.samples })})`;
}
