// One job: what and where, the big buttons for what comes next, the presses still waiting to be
// sent, and the map. Pressing a button only records the press (with the phone's time); main.js
// queues it and the queue sends it, so the screen behaves the same with or without signal.

import { h, fill, clock, isoWithOffset } from './dom.js';
import { ACTIONS, actionName, localStatus, nextActions, statusLabel } from './lifecycle.js';
import { reportPanel, reportState } from './report.js';
import { deadlineLine, kindLabel, placeLine, warningBanner } from './jobs.js';
import { createJobMap } from './map.js';
import { t } from './common/i18n.js';

/**
 * Show `job` in `root`. `onAction({type, at, note?})` is called on a press, and
 * `onAction({type: 'closing_report', at, report})` when a restored job's closing report is filed
 * (`causes`: the taxonomy it is picked from). Returns {update(job, pending, causes), showFix(fix), destroy()}.
 */
export function mountJob(root, { job, pending, onAction, causes }) {
  const title = h('h1', {});
  const status = h('p', { class: 'job-status' });
  const warned = h('div', { class: 'warning-slot', id: 'job-warning' });
  const facts = h('div', { class: 'facts' });
  const actions = h('div', { class: 'actions' });
  const report = h('div', { class: 'report-slot' });
  let taxonomy = causes;
  let reportFor = null; // the state the report panel was drawn for: not redrawn (and the form kept) while it holds
  const waitingList = h('ul', { class: 'pending' });
  const gps = h('p', { class: 'muted gps' }, t('job.waiting_gps'));
  const mapElement = h('div', { class: 'map', id: 'map' });
  const mapNote = h('p', { class: 'muted', hidden: true });
  const dialog = restoredDialog(onAction);
  let busy = false;
  // Each step is pressed once per job: a second tap before the buttons change is not a new event.
  const pressed = new Set();

  fill(root,
    h('a', { class: 'back', href: '#/jobs' }, t('job.back')),
    title, status, warned, actions, report, waitingList, facts, mapElement, mapNote, gps, dialog.element);
  const map = createJobMap(mapElement, job, (problem) => {
    mapNote.textContent = problem ?? '';
    mapNote.hidden = !problem;
  });

  async function press(type) {
    if (busy || pressed.has(type)) return;
    // The phone's clock at the press: the moment the crew acted, however late it reaches us.
    const at = isoWithOffset();
    if (type === 'restored') {
      dialog.open(at);
      return;
    }
    busy = true;
    pressed.add(type);
    try {
      await onAction({ type, at });
    } finally {
      busy = false;
    }
  }

  function fileReport(body) {
    return onAction({ type: 'closing_report', at: isoWithOffset(), report: body });
  }

  function update(current, waiting, causes = taxonomy) {
    taxonomy = causes;
    const local = localStatus(current, waiting);
    // Only what the panel shows redraws it: the restored press leaving the queue when the signal
    // comes back (and the job then read again) must not wipe a report the crew is writing.
    const filed = current.closing_report ?? {};
    const drawn = local === 'restored' ? JSON.stringify([reportState(current, waiting), filed.cause ?? null,
      filed.returned_because ?? null, filed.reviewed_by ?? null, filed.submitted_at ?? null, Boolean(taxonomy)]) : null;
    if (drawn !== reportFor) {
      reportFor = drawn;
      fill(report, local === 'restored' ? reportPanel(current, waiting, taxonomy, fileReport) : null);
    }
    fill(title, `#${current.id} · ${kindLabel(current)}`, current.hazard ? h('span', { class: 'hazard' }, t('job.hazard')) : null);
    fill(status, t('job.status'), h('strong', { class: `status status-${local}`, id: 'job-status' }, statusLabel(current, local)),
      waiting.length ? h('span', { class: 'muted' }, t('job.not_sent')) : null);
    fill(warned, warningBanner(current));
    fill(facts,
      h('p', { class: 'place', id: 'job-place' }, placeLine(current)),
      current.location && h('a', { class: 'big navigate', id: 'navigate', href: navigationLink(current.location) },
        t('job.navigate')),
      current.description && h('p', { class: 'description' }, `“${current.description}”`),
      current.device && h('p', { class: 'muted' }, `${t(`device.${current.device.kind}`)} ${current.device.code ?? ''}`,
        current.zone_class ? ` · ${t(`class.${current.zone_class}`)}` : ''),
      h('p', {}, t('job.customers_out', { n: current.customers_affected ?? 0 }),
        current.critical_customers ? t('job.critical_among') : ''),
      current.status !== 'restored' && deadlineLine(current),
      current.arrival_unverified && h('p', { class: 'problem' }, t('job.arrival_unverified')),
      callersList(current.callers ?? []));
    fill(actions, nextActions(current, waiting).map((type, index) => h('button', {
      class: `big action action-${type}${index === 0 ? ' first' : ''}`, type: 'button',
      dataset: { action: type }, onclick: () => press(type),
    }, ACTIONS[type].label)));
    if (!actions.children.length && current.status !== 'restored') {
      actions.append(h('p', { class: 'muted' }, current.queued
        ? t('job.queued')
        : t('job.nothing')));
    }
    fill(waitingList, waiting.map((action) => h('li', { dataset: { key: action.key, type: action.type } },
      t('job.pending_at', { action: actionName(action.type) }),
      h('time', { datetime: action.at }, clock(action.at)), t('job.waiting_to_send'))));
    map.update(current);
  }

  update(job, pending);
  return {
    update,
    showFix(fix) {
      map.showFix(fix);
      gps.textContent = t('job.gps', { m: Math.round(fix.accuracy_m ?? 0), time: clock(fix.at) });
    },
    destroy() {
      map.destroy();
    },
  };
}

// A geo: link opens the phone's own navigation app at the fault (Android's maps, or the app the
// crew chose); the coordinates are the same the map shows.
function navigationLink({ lon, lat }) {
  return `geo:${lat},${lon}?q=${lat},${lon}`;
}

// The callers' numbers, each a tap to call back: to ask where exactly, or whether power is back.
function callersList(callers) {
  if (!callers.length) return null;
  return h('div', { class: 'callers' },
    h('h2', {}, t('job.callers', { n: callers.length })),
    h('ul', {}, callers.map((caller) => h('li', {},
      h('a', { class: 'call', href: `tel:${caller.phone.replace(/[^\d+]/g, '')}` }, caller.phone),
      caller.name ? ` ${caller.name}` : '',
      h('span', { class: 'muted' }, ` · ${clock(caller.received_at)}`)))));
}

// "Power restored" stamps the moment with a note; the cause is the closing report's alone (from the
// utility's taxonomy, reviewed at the desk), asked right after on the job's screen: one cause per
// order, picked once, never a second free list beside the taxonomy.
function restoredDialog(onAction) {
  const note = h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 4000,
    placeholder: t('restored.note_placeholder') });
  let pressedAt = null;
  const when = h('p', { class: 'restored-at', id: 'restored-at' });
  const element = h('dialog', { class: 'restored' },
    h('form', { method: 'dialog', onsubmit: send },
      h('h2', {}, t('restored.title')),
      when,
      h('label', { for: 'note' }, t('restored.note')), note,
      h('p', { class: 'muted' }, t('restored.cause_next')),
      h('div', { class: 'row' },
        h('button', { class: 'big', type: 'button', value: 'cancel', onclick: () => element.close() }, t('restored.cancel')),
        h('button', { class: 'big action-restored', type: 'submit', id: 'send-restored' }, t('restored.send')))));

  async function send(event) {
    event.preventDefault();
    element.close();
    await onAction({ type: 'restored', at: pressedAt, note: note.value.trim() });
  }

  return {
    element,
    open(at) {
      pressedAt = at;
      when.textContent = t('restored.at', { time: clock(at) });
      note.value = '';
      element.showModal();
    },
  };
}
