// The closing report (回单) of a restored job, filed from the phone: the cause from the utility's
// two-level taxonomy (GET /api/v1/causes, shown in the phone's language and kept on the phone for
// offline use), who owns what failed, the result and the work done. Filing it is a press like the
// others: queued with its own Idempotency-Key and sent when the network allows (queue.js). The
// card also says where the report stands: to file, with the desk, or sent back with the reason.

import { call } from './api.js';
import { h } from './dom.js';
import { language, t } from './common/i18n.js';

const CAUSES_KEY = 'crew.causes';

function inLanguage(labels) {
  return labels?.[language()] ?? labels?.en ?? '';
}

/** The taxonomy: from the server when it answers (and kept), else the copy kept on the phone. */
export async function loadCauses() {
  try {
    const { data } = await call('GET', '/api/v1/causes');
    localStorage.setItem(CAUSES_KEY, JSON.stringify(data));
    return data;
  } catch {
    try {
      return JSON.parse(localStorage.getItem(CAUSES_KEY));
    } catch {
      return null;
    }
  }
}

export function causeLabel(taxonomy, code) {
  const [category, cause] = String(code ?? '').split('.');
  const body = taxonomy?.[category];
  return body?.causes?.[cause] ? `${inLanguage(body.label)} › ${inLanguage(body.causes[cause])}` : (code ?? '');
}

/** due | pending | returned | sending (a report waits in the phone's queue) for a restored job. */
export function reportState(job, pending) {
  if (pending.some((action) => action.type === 'closing_report')) return 'sending';
  return job.closing_report?.review ?? 'due';
}

/** The short line on a job card. */
export function reportBadge(job, pending) {
  if (job.status !== 'restored') return null;
  const state = reportState(job, pending);
  return h('span', { class: `report-badge report-${state}` }, t(`report.badge.${state}`));
}

/** The report's panel on the job's screen; `onFile(report)` when the crew sends it. */
export function reportPanel(job, pending, taxonomy, onFile) {
  const state = reportState(job, pending);
  const report = job.closing_report ?? {};
  const head = h('div', { class: `report-state report-${state}`, id: 'report-state', dataset: { state } },
    h('strong', {}, t(`report.state.${state}`)),
    state === 'returned' && h('p', { class: 'returned', id: 'report-returned' },
      t('report.returned_because', { reason: report.returned_because ?? '', who: report.reviewed_by ?? '' })),
    (state === 'pending' || state === 'returned') && report.cause
      && h('p', { class: 'muted' }, t('report.filed_cause', { cause: causeLabel(taxonomy, report.cause) })));
  if (state !== 'due' && state !== 'returned') return h('section', { class: 'report' }, head);
  return h('section', { class: 'report' }, head, reportForm(taxonomy, onFile));
}

function reportForm(taxonomy, onFile) {
  const categories = Object.entries(taxonomy ?? {});
  const category = h('select', { id: 'report-category' },
    h('option', { value: '' }, t('report.choose_category')),
    categories.map(([code, body]) => h('option', { value: code }, inLanguage(body.label))));
  const cause = h('select', { id: 'report-cause', disabled: true },
    h('option', { value: '' }, t('report.choose_cause')));
  category.addEventListener('change', () => {
    const body = taxonomy?.[category.value];
    cause.replaceChildren(h('option', { value: '' }, t('report.choose_cause')),
      ...Object.entries(body?.causes ?? {}).map(([code, labels]) => h('option', { value: `${category.value}.${code}` },
        inLanguage(labels))));
    cause.disabled = !body;
  });
  const owner = h('select', { id: 'report-owner' },
    ['utility', 'customer'].map((o) => h('option', { value: o }, t(`report.owner.${o}`))));
  const result = h('select', { id: 'report-result' },
    ['restored', 'temporary', 'not_restored'].map((r) => h('option', { value: r }, t(`report.result.${r}`))));
  const work = h('textarea', { id: 'report-work', rows: 3, maxlength: 4000,
    placeholder: t('report.work_placeholder') });
  const workers = h('input', { id: 'report-workers', maxlength: 500, placeholder: t('report.workers_placeholder') });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
  if (!categories.length) {
    return h('p', { class: 'problem' }, t('report.no_causes'));
  }
  return h('form', { class: 'report-form', onsubmit: (event) => {
    event.preventDefault();
    if (!cause.value || !work.value.trim()) {
      problem.textContent = t('report.incomplete');
      problem.hidden = false;
      return;
    }
    const body = { cause: cause.value, equipment_owner: owner.value, result: result.value, work_done: work.value.trim() };
    const names = workers.value.split(/[,，、]/).map((w) => w.trim()).filter(Boolean);
    if (names.length) body.workers = names;
    onFile(body);
  } },
  h('h2', {}, t('report.title')),
  h('label', { for: 'report-category' }, t('report.cause')), category, cause,
  h('label', { for: 'report-owner' }, t('report.owner')), owner,
  h('label', { for: 'report-result' }, t('report.result')), result,
  h('label', { for: 'report-work' }, t('report.work')), work,
  h('label', { for: 'report-workers' }, t('report.workers')), workers,
  problem,
  h('button', { type: 'submit', class: 'big primary', id: 'report-send' }, t('report.send')));
}
