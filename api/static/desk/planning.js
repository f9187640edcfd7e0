// Planning work on a switch (supervisors and admins): from the switch's popup, a dialog for the
// window and the reason. The server computes the customers the work takes off supply from the
// topology (POST /api/v1/planned-outages) and the worker tells them a week and a day before; the
// dialog says how many and the outage's reference, which customers will quote. Other switching
// planned with the work and later changes go through the API (README, "Planned outages").

import { call, currentSession } from './api.js';
import { h, fill } from './common/dom.js';
import { number, t } from './common/i18n.js';

/** The roles that plan work (the server refuses the others: 403). */
export const PLANNERS = ['admin', 'supervisor'];

export function canPlan() {
  return PLANNERS.includes(currentSession()?.user?.role);
}

export function createPlanning() {
  const dialog = h('dialog', { class: 'plan-dialog', id: 'plan-dialog' });
  if (canPlan()) document.body.append(dialog);

  /** A datetime-local field's value (the browser's local time) as ISO 8601 with its offset. */
  const instant = (value) => (value ? new Date(value).toISOString() : null);

  function open(code) {
    const start = h('input', { type: 'datetime-local', id: 'plan-start', required: true });
    const end = h('input', { type: 'datetime-local', id: 'plan-end', required: true });
    const reason = h('input', { type: 'text', id: 'plan-reason', maxlength: 500, required: true });
    const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
    const done = h('p', { class: 'plan-done', id: 'plan-done', hidden: true });
    const cancel = h('button', { type: 'button', id: 'plan-cancel', onclick: () => dialog.close() }, t('tools.cancel'));
    const go = h('button', { type: 'submit', class: 'primary', id: 'plan-confirm' }, t('plan.confirm', { code }));
    const form = h('form', { method: 'dialog', onsubmit: async (event) => {
      event.preventDefault();
      go.disabled = true;
      problem.hidden = true;
      try {
        const outage = await call('POST', '/api/v1/planned-outages', { switch: code, reason: reason.value.trim(),
          window_start: instant(start.value), window_end: instant(end.value) });
        done.textContent = t('plan.done', { reference: `P${outage.id}`, n: number(outage.customers_affected) });
        done.hidden = false;
        go.hidden = true;
        cancel.textContent = t('plan.close');
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
        go.disabled = false;
      }
    } },
    h('h2', {}, t('plan.title', { code })),
    h('p', { class: 'muted' }, t('plan.explain')),
    h('label', { for: 'plan-start' }, t('plan.start')), start,
    h('label', { for: 'plan-end' }, t('plan.end')), end,
    h('label', { for: 'plan-reason' }, t('plan.reason')), reason,
    problem, done,
    h('div', { class: 'row end' }, cancel, go));
    fill(dialog, form);
    dialog.showModal();
    start.focus();
  }

  return { open };
}
