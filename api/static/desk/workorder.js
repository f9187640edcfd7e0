// The work order in the incident's detail, as the utility runs it: its stamped steps (received to
// archived) as a step bar; the closing report with its review (accept: the order is archived; send
// back: with a reason); the closing report entered at the desk for a crew without a phone; a fault
// on the customer's side with the time agreed with them; the customers the incident cut off.
// Each section is built from what detail.js loaded; `act(what, run)` runs a change and reloads.

import { call, canAct } from './api.js';
import { h } from './common/dom.js';
import { language, number, t } from './common/i18n.js';
import { deskTime, deskZone, labelOr } from './incidents.js';

export const STEPS = ['received', 'dispatched', 'accepted', 'set_out', 'arrived', 'restored', 'closing_report', 'archived'];
/** The reasons the server knows by default (CUSTOMER_SIDE_REASONS); a utility's others come back as a 422. */
export const CUSTOMER_SIDE_REASONS = ['behind_meter', 'arrears', 'customer_equipment'];
const SUGGESTED_AGREED_H = 2;

let causes = null;

/** The fault-cause taxonomy (GET /api/v1/causes), read once per page. */
export async function loadCauses() {
  causes ??= call('GET', '/api/v1/causes').catch((error) => { causes = null; throw error; });
  return causes;
}

function inLanguage(labels) {
  return labels?.[language()] ?? labels?.en ?? '';
}

/** "Weather › Lightning" for weather.lightning, in the page's language (the code itself if unknown). */
export function causeLabel(taxonomy, code) {
  const [category, cause] = String(code ?? '').split('.');
  const body = taxonomy?.[category];
  if (!body?.causes?.[cause]) return code ?? '';
  return `${inLanguage(body.label)} › ${inLanguage(body.causes[cause])}`;
}

export function reasonLabel(reason) {
  return labelOr('customer_side.reason', reason);
}

// --- the step bar ------------------------------------------------------------------------------

/** The eight steps in a row: each done one with its time in the desk's zone, the next one marked. */
export function stepBar(steps) {
  const next = STEPS.find((s) => !steps[s]);
  return h('ol', { class: 'steps', id: 'work-order-steps', 'aria-label': t('order.steps') },
    STEPS.map((step) => {
      const at = steps[step];
      return h('li', {
        class: `step ${at ? 'done' : step === next ? 'next' : 'todo'}`, dataset: { step, at: at ?? '' },
        title: at ? `${t(`order.step.${step}`)} · ${deskTime(at, { withDate: true, seconds: true })}` : t(`order.step.${step}`),
      },
      h('span', { class: 'dot' }, at ? '✓' : ''),
      h('span', { class: 'label' }, t(`order.step.${step}`)),
      h('time', at ? { datetime: at } : {}, at ? deskTime(at) : '—'));
    }));
}

// --- the closing report and its review ----------------------------------------------------------

function reportBody(report, taxonomy) {
  const time = (iso) => (iso ? deskTime(iso, { withDate: true }) : '—');
  return h('dl', { class: 'report' },
    h('dt', {}, t('order.cause')), h('dd', { id: 'report-cause' }, causeLabel(taxonomy, report.cause)),
    h('dt', {}, t('order.owner')), h('dd', {}, t(`order.owner.${report.equipment_owner}`)),
    h('dt', {}, t('order.result')), h('dd', {}, t(`order.result.${report.result ?? 'restored'}`)),
    h('dt', {}, t('order.times')), h('dd', { class: 'times' },
      t('order.times_value', { set_out: time(report.departed_at), arrived: time(report.arrived_at), restored: time(report.restored_at) })),
    h('dt', {}, t('order.work_done')), h('dd', { class: 'work-done' }, report.work_done),
    report.workers?.length > 0 && h('dt', {}, t('order.workers')),
    report.workers?.length > 0 && h('dd', {}, report.workers.join(', ')),
    h('dt', {}, t('order.filed')), h('dd', {}, t('order.filed_by', { who: report.submitted_by ?? '—', time: time(report.submitted_at) })));
}

function reviewBox(incidentId, act) {
  const reason = h('textarea', { id: 'return-reason', rows: 2, maxlength: 2000, required: true,
    placeholder: t('order.return_placeholder') });
  const returnForm = h('form', { class: 'return-form', hidden: true, onsubmit: (event) => {
    event.preventDefault();
    if (!reason.value.trim()) return;
    act(t('order.returned_done'), () => call('POST', `/api/v1/incidents/${incidentId}/closing-report/review`,
      { accept: false, reason: reason.value.trim() }));
  } },
  h('label', { for: 'return-reason' }, t('order.return_why')), reason,
  h('div', { class: 'buttons' },
    h('button', { type: 'button', onclick: () => { returnForm.hidden = true; } }, t('tools.cancel')),
    h('button', { type: 'submit', class: 'act danger', id: 'return-send' }, t('order.return_send'))));
  return h('div', { class: 'review' },
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'act primary', id: 'report-accept',
        onclick: () => act(t('order.accepted_done'), () => call('POST', `/api/v1/incidents/${incidentId}/closing-report/review`,
          { accept: true })) }, t('order.accept')),
      h('button', { type: 'button', class: 'act', id: 'report-return',
        onclick: () => { returnForm.hidden = false; reason.focus(); } }, t('order.return'))),
    returnForm);
}

/** A closing report entered at the desk: cause picked from the two-level taxonomy, owner, result, work done. */
function reportForm(incidentId, taxonomy, act) {
  const categories = Object.entries(taxonomy ?? {});
  const category = h('select', { id: 'report-category', required: true },
    h('option', { value: '' }, t('order.choose_category')),
    categories.map(([code, body]) => h('option', { value: code }, inLanguage(body.label))));
  const cause = h('select', { id: 'report-cause-code', required: true, disabled: true },
    h('option', { value: '' }, t('order.choose_cause')));
  category.addEventListener('change', () => {
    const body = taxonomy[category.value];
    cause.replaceChildren(h('option', { value: '' }, t('order.choose_cause')),
      ...Object.entries(body?.causes ?? {}).map(([code, labels]) => h('option', { value: `${category.value}.${code}` },
        inLanguage(labels))));
    cause.disabled = !body;
  });
  const owner = h('select', { id: 'report-owner' },
    ['utility', 'customer'].map((o) => h('option', { value: o }, t(`order.owner.${o}`))));
  const result = h('select', { id: 'report-result' },
    ['restored', 'temporary', 'not_restored'].map((r) => h('option', { value: r }, t(`order.result.${r}`))));
  const workDone = h('textarea', { id: 'report-work', rows: 3, maxlength: 4000, required: true,
    placeholder: t('order.work_placeholder') });
  const workers = h('input', { id: 'report-workers', maxlength: 500, placeholder: t('order.workers_placeholder') });
  return h('form', { class: 'report-form', id: 'report-form', onsubmit: (event) => {
    event.preventDefault();
    const body = { cause: cause.value, equipment_owner: owner.value, result: result.value, work_done: workDone.value.trim() };
    const names = workers.value.split(/[,，、]/).map((w) => w.trim()).filter(Boolean);
    if (names.length) body.workers = names;
    act(t('order.filed_done'), () => call('POST', `/api/v1/incidents/${incidentId}/closing-report`, body));
  } },
  h('label', { for: 'report-category' }, t('order.cause')),
  h('div', { class: 'pair' }, category, cause),
  h('div', { class: 'pair' },
    h('div', {}, h('label', { for: 'report-owner' }, t('order.owner')), owner),
    h('div', {}, h('label', { for: 'report-result' }, t('order.result')), result)),
  h('label', { for: 'report-work' }, t('order.work_done')), workDone,
  h('label', { for: 'report-workers' }, t('order.workers')), workers,
  h('p', { class: 'muted' }, t('order.times_from_steps')),
  h('button', { type: 'submit', class: 'act primary', id: 'report-save' }, t('order.file')));
}

/** The work-order section: the step bar, then the closing report (or what it waits for). */
export function workOrderSection({ incident, order, taxonomy, act }) {
  const report = order.closing_report;
  const restored = incident.status === 'restored';
  let body = null;
  if (report) {
    const review = report.review;
    body = h('div', { class: `closing-report review-${review}`, id: 'closing-report', dataset: { review } },
      h('h4', {}, t('order.report'), ' ', h('span', { class: `tag review-${review}` }, t(`order.review.${review}`))),
      reportBody(report, taxonomy),
      review === 'returned' && h('p', { class: 'returned', id: 'report-returned' },
        t('order.returned_because', { who: report.reviewed_by ?? '—', time: deskTime(report.reviewed_at), reason: report.returned_because ?? '' })),
      review === 'accepted' && h('p', { class: 'muted' },
        t('order.accepted_by', { who: report.reviewed_by ?? '—', time: deskTime(report.reviewed_at, { withDate: true }) })),
      review === 'pending' && canAct() && reviewBox(incident.id, act));
  }
  const mayFile = restored && canAct() && (!report || report.review === 'returned');
  return h('section', { class: 'order-section', id: 'work-order' },
    h('h3', {}, t('order.title')),
    stepBar(order.steps),
    body,
    restored && !report && h('p', { class: 'waiting-report' }, t('order.waiting_report')),
    restored && report?.review === 'returned' && h('p', { class: 'muted' }, t('order.waiting_new_report')),
    mayFile && h('details', { class: 'desk-report', id: 'desk-report' },
      h('summary', {}, t('order.enter_for_crew')),
      reportForm(incident.id, taxonomy, act)));
}

// --- the customer's side ------------------------------------------------------------------------

/** "2025-03-01T14:30" in the desk's zone -> ISO 8601 instant; and back. */
function zoneOffsetMs(instant, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric',
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

export function fromDeskWallTime(value, timeZone) {
  const [date, time] = value.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let instant = wall - zoneOffsetMs(wall, timeZone);
  instant = wall - zoneOffsetMs(instant, timeZone); // across a change of offset
  return new Date(instant).toISOString();
}

export function toDeskWallTime(instant, timeZone) {
  return new Date(instant + zoneOffsetMs(instant, timeZone)).toISOString().slice(0, 16);
}

/** Mark the fault as the customer's own, with the time agreed with them; or say it is. */
export function customerSideSection({ incident, act, offered = false }) {
  if (incident.customer_side) {
    return h('section', { class: 'customer-side-section', id: 'customer-side' },
      h('h3', {}, t('customer_side.title')),
      h('p', { class: 'customer-side-now' }, h('span', { class: 'tag customer-side' }, t('customer_side.tag')), ' ',
        t('customer_side.is', { reason: reasonLabel(incident.customer_side), time: deskTime(incident.arrival_deadline, { withDate: true }) })));
  }
  if (!canAct() || incident.on_site_at || !['new', 'assigned', 'accepted', 'en_route'].includes(incident.status)) return null;
  const zone = deskZone();
  const suggested = Math.ceil((Date.now() + SUGGESTED_AGREED_H * 3600000) / 900000) * 900000;
  const reason = h('select', { id: 'customer-side-reason', required: true },
    CUSTOMER_SIDE_REASONS.map((r) => h('option', { value: r }, reasonLabel(r))));
  const agreed = h('input', { id: 'customer-side-time', type: 'datetime-local', required: true,
    value: toDeskWallTime(suggested, zone) });
  const form = h('form', { class: 'customer-side-form', onsubmit: (event) => {
    event.preventDefault();
    if (!agreed.value) return;
    const at = fromDeskWallTime(agreed.value, zone);
    act(t('customer_side.done', { time: deskTime(at, { withDate: true }) }),
      () => call('POST', `/api/v1/incidents/${incident.id}/customer-side`, { reason: reason.value, agreed_arrival: at }));
  } },
  h('p', { class: 'muted' }, t('customer_side.hint')),
  h('div', { class: 'pair' },
    h('div', {}, h('label', { for: 'customer-side-reason' }, t('customer_side.reason')), reason),
    h('div', {}, h('label', { for: 'customer-side-time' }, t('customer_side.agreed', { zone })), agreed)),
  h('button', { type: 'submit', class: 'act', id: 'customer-side-save' }, t('customer_side.save')));
  return h('section', { class: `customer-side-section${offered ? ' offered' : ''}`, id: 'customer-side' },
    h('details', { open: offered },
      h('summary', {}, h('h3', {}, t('customer_side.ask'))),
      form));
}

// --- the customers cut off ----------------------------------------------------------------------

const CRITICAL = ['critical', 'life_support'];

function customerLine(c) {
  return h('li', { dataset: { account: c.account_no } },
    h('div', {}, h('strong', {}, c.name ?? t('order.no_name')),
      CRITICAL.includes(c.priority) && h('span', { class: 'tag critical' }, t(`priority.${c.priority}`)),
      c.called && h('span', { class: 'tag called' }, t('cut_off.called'))),
    h('div', { class: 'muted' }, [c.account_no, c.address].filter(Boolean).join(' · ')),
    c.phone && h('div', { class: 'phone' }, '☎ ', h('a', { href: `tel:${c.phone}` }, c.phone)));
}

/** How many customers the incident cut off; the critical and life-support ones, then the callers. */
export function customersSection(out) {
  if (!out) return null;
  const critical = out.customers.filter((c) => CRITICAL.includes(c.priority));
  const callers = out.customers.filter((c) => !CRITICAL.includes(c.priority) && c.called);
  const rest = out.total - critical.length - callers.length;
  return h('section', { class: 'cut-off-section', id: 'cut-off' },
    h('h3', {}, t('cut_off.title')),
    h('p', { class: 'cut-off-total' }, h('b', {}, number(out.total)), ' ', t('cut_off.total', { n: out.total })),
    critical.length > 0 && h('h4', {}, t('cut_off.critical', { n: critical.length })),
    critical.length > 0 && h('ul', { class: 'customers critical-list' }, critical.map(customerLine)),
    callers.length > 0 && h('h4', {}, t('cut_off.callers', { n: callers.length })),
    callers.length > 0 && h('ul', { class: 'customers caller-list' }, callers.map(customerLine)),
    !critical.length && !callers.length && out.total > 0 && h('p', { class: 'muted' }, t('cut_off.none_critical')),
    rest > 0 && (critical.length || callers.length) && h('p', { class: 'muted' }, t('cut_off.others', { n: number(rest) })));
}
