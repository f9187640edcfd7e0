// Call-backs after restoration (回访) for the hotline's agents: a button in the bar with the pending
// and overdue counts, and a list of the customers to ask whether their power is back, overdue
// first, each answered in one click. "Still out" opens an incident nested in the restored one
// (the server does it); the list says which, with a link to it. Desk roles that act only.

import { call, canAct } from './api.js';
import { h, fill } from './common/dom.js';
import { number, t } from './common/i18n.js';
import { deskTime } from './incidents.js';

const POLL_MS = 30000;
const ANSWERS = ['power_back', 'still_out', 'no_answer'];
const STATES = ['open', 'overdue', 'answered'];

export function createCallbacks({ bar, onOpen }) {
  if (!canAct()) return null;
  let shown = 'open';
  const button = h('button', { type: 'button', class: 'tool', id: 'tool-callbacks', onclick: openList });
  const dialog = h('dialog', { class: 'callbacks-dialog', id: 'callbacks-dialog' });
  const list = h('ul', { class: 'callback-list', id: 'callback-list' });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
  const picker = h('select', { id: 'callback-state', onchange: () => { shown = picker.value; load(); } },
    STATES.map((s) => h('option', { value: s }, t(`callbacks.state.${s}`))));

  function renderButton(counts) {
    fill(button, t('callbacks.button'), ' ', h('b', { class: 'count' }, number(counts.pending)),
      counts.overdue > 0 && h('span', { class: 'overdue' }, ' ', t('callbacks.overdue_count', { n: number(counts.overdue) })));
    button.classList.toggle('warn', counts.overdue > 0);
  }

  async function answer(callback, given) {
    problem.hidden = true;
    // One answer per click: a double-click must not count two unanswered calls.
    list.querySelectorAll(`li[data-callback="${callback.id}"] button.answer`).forEach((b) => { b.disabled = true; });
    try {
      await call('POST', `/api/v1/callbacks/${callback.id}/answer`, { answer: given });
    } catch (error) {
      problem.textContent = error.message;
      problem.hidden = false;
    }
    await load();
  }

  function row(c) {
    const due = deskTime(c.due_at, { withDate: true });
    return h('li', { class: `callback callback-${c.status}${c.overdue ? ' overdue' : ''}`, dataset: { callback: c.id, incident: c.incident } },
      h('div', { class: 'who' },
        h('strong', {}, c.name ?? c.phone ?? '—'), ' ',
        c.account_no && h('span', { class: 'muted' }, c.account_no), ' ',
        c.phone && h('a', { href: `tel:${c.phone}`, class: 'phone' }, c.phone)),
      h('div', { class: 'about muted' },
        h('button', { type: 'button', class: 'link', onclick: () => { dialog.close(); onOpen(c.incident); } }, `#${c.incident}`), ' · ',
        t(`channel.${c.channel}`), ' · ',
        c.overdue ? h('span', { class: 'bad' }, t('callbacks.overdue_since', { time: due })) : t('callbacks.due', { time: due }),
        c.attempts > 0 && ` · ${t('callbacks.attempts', { n: c.attempts })}`),
      c.status === 'pending'
        ? h('div', { class: 'answers' }, ANSWERS.map((a) => h('button', { type: 'button', class: `answer answer-${a}`,
          dataset: { answer: a }, onclick: () => answer(c, a) }, t(`callbacks.answer.${a}`))))
        : h('div', { class: 'answered' }, t(`callbacks.status.${c.status}`),
          c.new_incident && h('button', { type: 'button', class: 'link', onclick: () => { dialog.close(); onOpen(c.new_incident); } },
            ` → #${c.new_incident}`)));
  }

  async function load() {
    try {
      const answer = await call('GET', `/api/v1/callbacks?state=${shown}`);
      renderButton(answer.counts);
      fill(list, answer.callbacks.length ? answer.callbacks.map(row) : h('li', { class: 'muted empty' }, t('callbacks.none')));
    } catch (error) {
      if (error.status === 404) button.hidden = true; // a server without call-backs
    }
  }

  async function openList() {
    fill(dialog, h('h2', {}, t('callbacks.title')),
      h('p', { class: 'muted' }, t('callbacks.lead')),
      h('div', { class: 'row' }, h('label', { for: 'callback-state' }, t('callbacks.show')), picker),
      problem, list,
      h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('callbacks.close'))));
    dialog.showModal();
    await load();
  }

  bar.append(button);
  document.body.append(dialog);
  renderButton({ pending: 0, overdue: 0 });
  load();
  setInterval(load, POLL_MS);
  return { load };
}
