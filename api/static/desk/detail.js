// One incident in full beside the map: its deadline, the predicted device and the customers out,
// the crew and the candidates with their driving times (one click sends the suggested crew), the
// lifecycle events the desk records for a crew without a phone, merging and moving calls
// (corrections of the inference, kept in both timelines), the work order (workorder.js: its
// steps, the closing report and its review, a fault on the customer's side, the customers cut
// off), the calls and the timeline.

import { call, canAct } from './api.js';
import { fill, h, keepTyped } from './common/dom.js';
import { language, number, t } from './common/i18n.js';
import {
  EVENTS, countdown, deadline, deskTime, deviceLabel, etrBasis, kindLabel, labelOr, minutes, slaLabel, slaState, statusLabel,
  toldLabel,
} from './incidents.js';
import { state } from './state.js';
import { causeLabel, customerSideSection, customersSection, loadCauses, reasonLabel, workOrderSection } from './workorder.js';

const REASSIGNABLE = ['new', 'assigned', 'accepted'];

/** The skills an incident needs, in the utility's words and the desk's language. */
function skillsLabel(skills) {
  const labels = state.settings?.skills ?? {};
  return (skills ?? []).map((s) => labels[s]?.[language()] ?? labels[s]?.en ?? s).join(' + ');
}

/** A timeline entry's name; a type this console does not know yet is shown as it is. */
function eventLabel(type) {
  return labelOr('event', type);
}

/** What a timeline entry adds to its name: the warning's level and whom it is for, the reason a
 * report went back, the cause reported, the agreed time, the crew. */
function eventDetail(e, taxonomy) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'deadline_warning':
      return t('timeline.warning', { percent: d.percent ?? '?', deadline: t(`timeline.clock.${d.clock ?? 'arrival'}`),
        told: toldLabel(d) });
    case 'closing_report':
      return causeLabel(taxonomy, d.cause);
    case 'closing_report_returned':
      return d.reason ? `“${d.reason}”` : '';
    case 'customer_side':
      return t('timeline.customer_side', { reason: reasonLabel(d.reason ?? ''), time: d.agreed_arrival ? deskTime(d.agreed_arrival, { withDate: true }) : '—' });
    case 'alert_acknowledged':
      return d.kind ? labelOr('timeline.alert', d.kind) : '';
    case 'call_moved_in':
    case 'call_moved_out':
    case 'nested_in':
      return t('timeline.from', { id: d.parent });
    case 'nested_outage':
      return t('timeline.to', { id: d.incident });
    case 'device_tripped':
    case 'device_closed':
      return d.device ?? '';
    case 'unqueued':
      return t('timeline.unqueued', { crew: d.crew ?? '', reason: labelOr('timeline.unqueued', d.reason ?? '') });
    case 'callbacks_opened':
      return t('timeline.callbacks', { n: d.customers ?? 0 });
    case 'restoration_verified':
      return t('detail.meters_line', { gasps: d.last_gasps ?? 0, restored: d.power_restored ?? 0 });
    case 'moved_down':
      // Why it moved: the calls per branch of the device it left ("own section": its own customers).
      return t('timeline.moved_down', {
        device: deviceLabel(d.to),
        branches: (d.branches ?? []).map((b) => t('timeline.branch', {
          branch: b.device ? deviceLabel(b.device) : t('timeline.own_section'), calls: b.calls, customers: b.customers,
        })).join(', '),
      }) + (d.split?.length ? ` ${t('timeline.split', { ids: d.split.map((n) => `#${n}`).join(', ') })}` : '');
    case 'opened':
      return d.split_from ? t('timeline.from', { id: d.split_from }) : '';
    case 'merged':
    case 'absorbed':
      return [d.report && t('timeline.call', { id: d.report }), d.from && t('timeline.from', { id: d.from }),
        d.to && t('timeline.to', { id: d.to }), d.into && t('timeline.to', { id: d.into }),
        d.incidents && t('timeline.took', { ids: d.incidents.map((n) => `#${n}`).join(', ') })].filter(Boolean).join(' ');
    default:
      return d.crew ? d.crew : '';
  }
}

/** The panel in `root`. `onChanged()` after the desk changed something (the lists reload);
 * `onClose()` closes it; `onOpen(id)` opens another incident. Returns {show(id), refresh(), tick(), hide()}. */
export function createDetail(root, { onChanged, onClose, onOpen }) {
  let current = null;     // the incident in full (GET /api/v1/incidents/{id})
  let candidates = [];
  let order = null;       // GET .../work-order: {steps, closing_report}
  let customers = null;   // GET .../customers (desk roles)
  let taxonomy = null;    // GET /api/v1/causes
  let offerCustomerSide = false;
  let shownId = null;
  let loading = 0;
  // What the panel shows, as JSON: a reload that changes nothing draws nothing (a button about
  // to be clicked stays where it is), and one that changes something keeps what was typed.
  let drawn = null;
  const message = h('p', { class: 'message', role: 'alert', hidden: true });

  function say(text, kind = 'problem') {
    message.textContent = text;
    message.className = `message ${kind}`;
    message.hidden = !text;
  }

  async function act(what, run) {
    say('');
    root.querySelectorAll('button.act').forEach((b) => { b.disabled = true; });
    try {
      await run();
      say(what, 'done');
      drawn = null; // done: its form is drawn afresh, not kept
      await load(shownId);
      onChanged();
    } catch (error) {
      say(t('detail.refused', { why: error.message }));
      root.querySelectorAll('button.act').forEach((b) => { b.disabled = false; });
    }
  }

  const assign = (body, what) => act(what, () => call('POST', `/api/v1/incidents/${shownId}/assign`, body));
  const record = (type, note) => act(t('detail.recorded', { event: t(`event.${type}`) }),
    () => call('POST', `/api/v1/incidents/${shownId}/events`, note ? { type, note } : { type }));

  async function load(id) {
    const mine = ++loading;
    const [incident, listed, workOrder, out, causes] = await Promise.all([
      call('GET', `/api/v1/incidents/${id}`),
      call('GET', `/api/v1/incidents/${id}/candidates`).then((a) => a.candidates).catch(() => []),
      call('GET', `/api/v1/incidents/${id}/work-order`).catch(() => null),
      canAct() ? call('GET', `/api/v1/incidents/${id}/customers?limit=50`).catch(() => null) : null,
      loadCauses().catch(() => null),
    ]);
    if (mine !== loading || id !== shownId) return;
    current = incident;
    candidates = listed;
    order = workOrder;
    customers = out;
    taxonomy = causes;
    render();
  }

  function suggested() {
    return candidates.find((c) => c.free && c.qualified && c.eta_s !== null && c.crew !== current.crew) ?? null;
  }

  function crewSection() {
    const i = current;
    const acting = canAct() && REASSIGNABLE.includes(i.status);
    const best = acting ? suggested() : null;
    const crewLine = i.crew
      ? h('p', { class: 'crew-now' }, t('detail.crew_is', { crew: i.crew, status: statusLabel(i.status) }),
        i.eta_s && !i.on_site_at ? ` · ${t('detail.eta', { eta: minutes(i.eta_s) })}` : '')
      : h('p', { class: 'crew-now none' }, i.queued_for ? t('list.queued_for', { crew: i.queued_for })
        : i.no_qualified_crew ? t('detail.no_qualified_crew', { skills: skillsLabel(i.required_skills) }) : t('detail.waiting'));
    const table = h('table', { class: 'candidates' },
      h('thead', {}, h('tr', {}, h('th', {}, t('detail.crew')), h('th', {}, t('detail.drive')),
        h('th', {}, t('detail.state')), acting && h('th', {}, ''))),
      h('tbody', {}, candidates.map((c) => h('tr', { dataset: { crew: c.crew }, class: c.crew === i.crew ? 'current' : '' },
        h('td', {}, c.crew),
        h('td', {}, c.eta_s === null ? t('detail.unreachable') : minutes(c.eta_s)),
        h('td', {}, !c.qualified ? t('detail.unqualified') : c.free ? t('detail.free') : t('detail.busy')),
        acting && h('td', {}, c.crew === i.crew || !c.qualified || c.eta_s === null ? ''
          : c.free ? h('button', { type: 'button', class: 'act small', dataset: { assign: c.crew },
            onclick: () => assign({ crew: c.crew }, t('detail.sent', { crew: c.crew })) }, i.crew ? t('detail.reassign') : t('detail.assign'))
            : i.status === 'new' ? h('button', { type: 'button', class: 'act small', dataset: { queue: c.crew },
              onclick: () => assign({ crew: c.crew, queue: true }, t('detail.queued', { crew: c.crew })) }, t('detail.queue')) : '')))),
    );
    return h('section', { class: 'crew-section' },
      h('h3', {}, t('detail.crews')),
      crewLine,
      best && h('button', { type: 'button', class: 'act primary big', id: 'assign-suggested',
        onclick: () => assign({}, t('detail.sent', { crew: best.crew })) },
      t(i.crew ? 'detail.assign_suggested_instead' : 'detail.assign_suggested', { crew: best.crew, eta: minutes(best.eta_s) })),
      acting && !best && !i.crew && h('p', { class: 'muted' }, t('detail.no_free_crew')),
      candidates.length ? table : h('p', { class: 'muted' }, t('detail.no_candidates')));
  }

  function eventsSection() {
    if (!canAct()) return null;
    const allowed = Object.entries(EVENTS).filter(([, after]) => after.includes(current.status)).map(([type]) => type);
    if (!allowed.length) return null;
    return h('section', { class: 'events-section' },
      h('h3', {}, t('detail.record_for_crew')),
      h('div', { class: 'buttons' }, allowed.map((type) => h('button', {
        type: 'button', class: `act event event-${type}`, dataset: { event: type },
        onclick: () => {
          if (type === 'cancelled') {
            const why = prompt(t('detail.cancel_why'));
            if (why) record(type, why);
          } else {
            record(type);
          }
        },
      }, t(`event.${type}`)))));
  }

  function correctSection() {
    if (!canAct() || !['new', 'assigned', 'accepted', 'en_route', 'on_site'].includes(current.status)) return null;
    const target = h('input', { id: 'merge-into', type: 'number', min: 1, placeholder: t('detail.merge_placeholder'),
      'aria-label': t('detail.merge_placeholder') });
    return h('section', { class: 'correct-section' },
      h('h3', {}, t('detail.correct')),
      h('form', { class: 'inline', onsubmit: (event) => {
        event.preventDefault();
        const into = Number(target.value);
        if (!into || into === current.id) return;
        if (!confirm(t('detail.merge_confirm', { id: current.id, into }))) return;
        act(t('detail.merged', { into }), async () => {
          await call('POST', `/api/v1/incidents/${current.id}/merge`, { into });
          onOpen(into);
        });
      } }, target, h('button', { type: 'submit', class: 'act', id: 'merge' }, t('detail.merge'))),
      h('p', { class: 'muted' }, t('detail.correct_hint')));
  }

  function moveCall(report) {
    const answer = prompt(t('detail.move_prompt', { id: report.id }));
    if (answer === null) return;
    const target = answer.trim().replace(/^#/, '');
    const incident = target === '' || target.toLowerCase() === 'new' || target === '新' ? null : Number(target);
    if (incident !== null && !Number.isInteger(incident)) return;
    act(t('detail.moved'), () => call('POST', `/api/v1/reports/${report.id}/move`, { incident }));
  }

  function callsSection() {
    return h('section', { class: 'calls-section' },
      h('h3', {}, t('detail.calls', { n: current.reports.length })),
      h('ul', { class: 'calls' }, current.reports.map((r) => h('li', { dataset: { report: r.id } },
        h('div', {}, h('time', { datetime: r.received_at }, deskTime(r.received_at)), ' · ', t(`channel.${r.channel}`),
          ' · ', h('strong', {}, kindLabel(r.kind)), r.hazard ? h('span', { class: 'tag hazard' }, t('incident.hazard')) : null),
        h('div', { class: 'muted' }, [r.account_no && t('detail.account', { account: r.account_no }),
          r.caller_name, r.caller_phone, r.address, t(`located.${r.located_method ?? 'none'}`)].filter(Boolean).join(' · ')),
        r.description && h('div', { class: 'description' }, `“${r.description}”`),
        canAct() && current.reports.length > 1 && h('button', { type: 'button', class: 'act link', onclick: () => moveCall(r) },
          t('detail.move'))))));
  }

  /** A button that opens incident `id`, labelled by catalog `key` ({id}). */
  function incidentLink(key, id) {
    return h('button', { type: 'button', class: 'act link', onclick: () => onOpen(id) }, t(key, { id }));
  }

  function timelineSection() {
    return h('section', { class: 'timeline-section' },
      h('h3', {}, t('detail.timeline')),
      h('ol', { class: 'timeline' }, [...current.timeline].reverse().map((e) => h('li', {
        class: `event-${e.type}${e.type === 'deadline_warning' ? ` notify-${e.data?.sent_to ?? e.data?.notify}` : ''}`, dataset: { type: e.type } },
        h('time', { datetime: e.at }, deskTime(e.at, { seconds: true })), ' ',
        h('strong', {}, eventLabel(e.type)),
        eventDetail(e, taxonomy) ? h('span', { class: 'what' }, ` ${eventDetail(e, taxonomy)}`) : '',
        e.actor ? h('span', { class: 'muted' }, ` — ${e.actor}`) : null,
        e.note ? h('div', { class: 'note' }, e.note) : null))));
  }

  function render() {
    if (!current) return;
    const i = { ...state.incidents.get(current.id), ...current }; // the detail is the newer: it reloads on every change
    const shown = JSON.stringify([i, candidates, order, customers, taxonomy, offerCustomerSide]);
    if (shown === drawn) return;
    const restore = drawn === null ? () => {} : keepTyped(root);
    drawn = shown;
    const sla = slaState(i) ?? 'none';
    const due = deadline(i);
    const clock = countdown(due);
    // A boolean, not a count: a 0 would be drawn as text.
    const nesting = Boolean(i.parent_incident || i.nested?.length);
    fill(root,
      h('header', { class: `detail-head sla-${sla}` },
        h('div', { class: 'title' },
          h('h2', {}, `#${i.id}`),
          i.hazard && h('span', { class: 'tag hazard' }, t('incident.hazard')),
          h('span', { class: `tag status status-${i.status}`, id: 'detail-status' }, statusLabel(i.status)),
          i.customer_side && h('span', { class: 'tag customer-side' }, t('customer_side.tag')),
          h('button', { type: 'button', class: 'close', 'aria-label': t('detail.close'), onclick: onClose }, '×')),
        h('div', { class: 'deadline-box' },
          h('span', { class: `countdown big${clock.late ? ' late' : ''}`, dataset: { deadline: due ?? '' } }, clock.text),
          h('div', {},
            h('div', { class: `sla sla-${sla}` }, slaLabel(sla === 'none' ? null : sla)),
            h('div', { class: 'muted' }, due ? t(i.on_site_at ? 'detail.restore_by' : 'detail.arrive_by', { time: deskTime(due) }) : '')))),
      message,
      h('section', { class: 'facts' },
        h('dl', {},
          h('dt', {}, t('detail.device')), h('dd', { id: 'detail-device' }, deviceLabel(i.device)),
          i.inference && h('dt', {}, t('detail.why')),
          // With the km of line the device itself clears: why it can beat a single called branch.
          i.inference && h('dd', { id: 'detail-why', class: 'muted' }, [...i.inference.branches.map((b) =>
            t('detail.why_branch', { device: b.device ? b.device.code : t('detail.why_own'),
              calls: number(b.calls), customers: number(b.customers) })),
          i.inference.own_line_km ? t('detail.why_line', { km: number(i.inference.own_line_km) }) : null]
            .filter(Boolean).join(' · ')),
          h('dt', {}, t('detail.customers_out')), h('dd', {}, number(i.customers_affected ?? 0),
            i.critical_customers ? h('span', { class: 'tag critical' }, t('incident.critical')) : null),
          h('dt', {}, t('detail.zone')), h('dd', {}, [i.zone, i.class && t(`class.${i.class}`)].filter(Boolean).join(' · ') || '—'),
          h('dt', {}, t('detail.etr')), h('dd', { id: 'detail-etr' },
            i.etr_at ? `${deskTime(i.etr_at, { withDate: true })} · ` : '', h('span', { class: 'muted' },
              etrBasis(i.etr_basis, (code) => causeLabel(taxonomy, code)))),
          h('dt', {}, t('detail.first_call')), h('dd', {}, deskTime(i.first_report_at, { withDate: true })),
          // A nested outage: found inside an outage already restored (its parent), or those found in this one.
          nesting && h('dt', {}, t('detail.nested')),
          nesting && h('dd', { id: 'detail-nested', class: 'problem' },
            i.parent_incident ? incidentLink('detail.nested_in', i.parent_incident) : null,
            ...(i.nested ?? []).map((n) => incidentLink('detail.nested_outage', n))),
          i.meters?.last_gasps > 0 && h('dt', {}, t('detail.meters')),
          i.meters?.last_gasps > 0 && h('dd', { id: 'detail-meters', class: 'muted' }, t('detail.meters_line', {
            gasps: number(i.meters.last_gasps), restored: number(i.meters.power_restored) }),
            i.meters.still_out?.length ? ` · ${t('detail.meters_still_out', { n: number(i.meters.still_out.length) })}` : ''),
          i.arrival_unverified && h('dt', {}, t('detail.arrival')),
          i.arrival_unverified && h('dd', { class: 'problem' }, t('detail.arrival_unverified')))),
      order && workOrderSection({ incident: i, order, taxonomy, act }),
      customerSideSection({ incident: i, act, offered: offerCustomerSide }),
      crewSection(),
      eventsSection(),
      customersSection(customers),
      callsSection(),
      correctSection(),
      timelineSection());
    restore();
  }

  return {
    /** Open incident `id`; `offerCustomerSide`: just after a hotline call, the customer's-side form open. */
    async show(id, { offerCustomerSide: offer = false } = {}) {
      offerCustomerSide = offer;
      if (id !== shownId) {
        shownId = id;
        current = null;
        drawn = null;
        say('');
        fill(root, h('p', { class: 'muted loading' }, t('detail.loading')));
      }
      root.hidden = false;
      try {
        await load(id);
      } catch (error) {
        if (id === shownId) fill(root, h('p', { class: 'problem' }, error.message));
      }
    },
    /** The incident changed (live): load it again. */
    refresh() {
      if (shownId !== null && !root.hidden) load(shownId).catch(() => {});
    },
    tick(now = Date.now()) {
      const element = root.querySelector('.countdown');
      if (!element) return;
      const clock = countdown(element.dataset.deadline || null, now);
      element.textContent = clock.text;
      element.classList.toggle('late', clock.late);
    },
    hide() {
      shownId = null;
      current = null;
      drawn = null;
      root.hidden = true;
      fill(root);
    },
    get id() {
      return shownId;
    },
  };
}
