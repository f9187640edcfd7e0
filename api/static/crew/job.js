// One job: what and where, the big buttons for what comes next, the presses still waiting to be
// sent, and the map. Pressing a button only records the press (with the phone's time); main.js
// queues it and the queue sends it, so the screen behaves the same with or without signal.

import { h, fill, clock, isoWithOffset } from './dom.js';
import { ACTIONS, localStatus, nextActions, statusLabel } from './lifecycle.js';
import { deadlineLine, kindLabel } from './jobs.js';
import { createJobMap } from './map.js';

/** What had failed, for the restoration report (free text on the server, at most 200 characters). */
const CAUSES = ['Tree or vegetation contact', 'Equipment failure', 'Weather (wind, lightning, ice)',
  'Animal contact', 'Third-party damage', 'Overload', 'Other or unknown'];

/**
 * Show `job` in `root`. `onAction({type, at, cause?, note?})` is called on a press.
 * Returns {update({job, pending, fix}), showFix(fix), destroy()}.
 */
export function mountJob(root, { job, pending, onAction }) {
  const title = h('h1', {});
  const status = h('p', { class: 'job-status' });
  const facts = h('div', { class: 'facts' });
  const actions = h('div', { class: 'actions' });
  const waitingList = h('ul', { class: 'pending' });
  const gps = h('p', { class: 'muted gps' }, 'Waiting for GPS…');
  const mapElement = h('div', { class: 'map', id: 'map' });
  const mapNote = h('p', { class: 'muted', hidden: true });
  const dialog = restoredDialog(onAction);
  let busy = false;
  // Each step is pressed once per job: a second tap before the buttons change is not a new event.
  const pressed = new Set();

  fill(root,
    h('a', { class: 'back', href: '#/jobs' }, '‹ All jobs'),
    title, status, actions, waitingList, facts, mapElement, mapNote, gps, dialog.element);
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

  function update(current, waiting) {
    const local = localStatus(current, waiting);
    fill(title, `#${current.id} · ${kindLabel(current)}`, current.hazard ? h('span', { class: 'hazard' }, 'HAZARD') : null);
    fill(status, 'Status: ', h('strong', { class: `status status-${local}`, id: 'job-status' }, statusLabel(current, local)),
      waiting.length ? h('span', { class: 'muted' }, ' (not sent yet)') : null);
    fill(facts,
      current.address && h('p', {}, current.address),
      current.description && h('p', { class: 'description' }, `“${current.description}”`),
      current.device && h('p', { class: 'muted' }, `${current.device.kind} ${current.device.code}`,
        current.zone_class ? ` · ${current.zone_class}` : ''),
      h('p', {}, `${current.customers_affected ?? 0} customers out`,
        current.critical_customers ? ', critical customers among them' : ''),
      deadlineLine(current),
      current.arrival_unverified && h('p', { class: 'problem' }, 'Arrival not verified: you were far from the fault.'));
    fill(actions, nextActions(current, waiting).map((type, index) => h('button', {
      class: `big action action-${type}${index === 0 ? ' first' : ''}`, type: 'button',
      dataset: { action: type }, onclick: () => press(type),
    }, ACTIONS[type].label)));
    if (!actions.children.length) {
      actions.append(h('p', { class: 'muted' }, current.queued
        ? 'Queued for your crew: it becomes your job when the current one is done.'
        : 'Nothing to do on this job now.'));
    }
    fill(waitingList, waiting.map((action) => h('li', { dataset: { key: action.key, type: action.type } },
      `${ACTIONS[action.type]?.done ?? action.type} at `,
      h('time', { datetime: action.at }, clock(action.at)), ' — waiting to send')));
    map.update(current);
  }

  update(job, pending);
  return {
    update,
    showFix(fix) {
      map.showFix(fix);
      gps.textContent = `GPS: ±${Math.round(fix.accuracy_m ?? 0)} m at ${clock(fix.at)}`;
    },
    destroy() {
      map.destroy();
    },
  };
}

function restoredDialog(onAction) {
  const cause = h('select', { id: 'cause', name: 'cause', required: true },
    h('option', { value: '' }, 'Choose the cause…'), CAUSES.map((c) => h('option', { value: c }, c)));
  const note = h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 4000,
    placeholder: 'What was done (optional)' });
  let pressedAt = null;
  const element = h('dialog', { class: 'restored' },
    h('form', { method: 'dialog', onsubmit: send },
      h('h2', {}, 'Power restored'),
      h('label', { for: 'cause' }, 'Cause'), cause,
      h('label', { for: 'note' }, 'Note'), note,
      h('div', { class: 'row' },
        h('button', { class: 'big', type: 'button', value: 'cancel', onclick: () => element.close() }, 'Cancel'),
        h('button', { class: 'big action-restored', type: 'submit', id: 'send-restored' }, 'Send'))));

  async function send(event) {
    event.preventDefault();
    if (!cause.value) return;
    element.close();
    await onAction({ type: 'restored', at: pressedAt, cause: cause.value, note: note.value.trim() });
  }

  return {
    element,
    open(at) {
      pressedAt = at;
      cause.value = '';
      note.value = '';
      element.showModal();
    },
  };
}
