// The job list: the crew's current job first, then its queue, then the restored jobs whose closing
// report is due or with the desk; each a big card that opens the job.

import { h, fill, clock, untilDeadline, duration } from './dom.js';
import { localStatus, statusLabel } from './lifecycle.js';
import { reportBadge } from './report.js';
import { t } from './common/i18n.js';

/** "No power" for kind no_power. */
export function kindLabel(job) {
  return t(`kind.${job.kind ?? 'fault'}`);
}

/** Render the list; `pendingFor(job)` gives the job's actions still waiting to be sent. */
export function renderJobs(root, { crew, jobs, loaded, loadProblem, pendingFor }) {
  const heading = h('div', { class: 'crew' },
    h('h1', {}, crew ? crew.name : t('jobs.mine')),
    crew && h('span', { class: 'muted' }, crew.on_duty ? t('jobs.on_duty') : t('jobs.off_duty')));
  let body;
  if (loadProblem) body = h('p', { class: 'problem', role: 'alert' }, loadProblem);
  else if (!loaded) body = h('p', { class: 'muted' }, t('jobs.loading'));
  else if (!jobs.length) body = h('p', { class: 'empty' }, t('jobs.none'));
  else body = h('ul', { class: 'jobs' }, jobs.map((job) => h('li', {}, card(job, pendingFor(job)))));
  fill(root, heading, body);
}

function card(job, pending) {
  const status = localStatus(job, pending);
  return h('a', { class: 'job-card', href: `#/jobs/${job.id}`, dataset: { job: job.id } },
    h('div', { class: 'row' },
      h('span', { class: `status status-${status}` }, statusLabel(job, status)),
      job.hazard && h('span', { class: 'hazard' }, t('job.hazard')),
      reportBadge(job, pending),
      pending.length > 0 && h('span', { class: 'waiting' }, t('jobs.waiting', { n: pending.length }))),
    warningBanner(job),
    h('div', { class: 'kind' }, `#${job.id} · ${kindLabel(job)}`),
    h('div', { class: 'place' }, placeLine(job)),
    h('div', { class: 'muted' },
      t('job.customers_out', { n: job.customers_affected ?? 0 }),
      job.critical_customers ? t('job.critical_among') : ''),
    job.status !== 'restored' && deadlineLine(job));
}

/** Where to go, as a crew can drive to it: the address (a street's name is "near" it), else the device. */
export function placeLine(job) {
  if (job.address) return job.address_source === 'road' ? t('jobs.near', { street: job.address }) : job.address;
  return job.device ? `${t(`device.${job.device.kind}`)} ${job.device.code ?? ''}` : t('jobs.no_address');
}

/** The deadline warning the dispatch centre raised on this job (SLA_WARNING_LEVELS), if any: how
 * much of the time is gone and the deadline, loud enough to be seen at a glance in a truck. */
export function warningBanner(job) {
  const w = job.warning;
  if (!w || job.status === 'restored') return null;
  return h('div', { class: 'warning-banner', role: 'alert', dataset: { percent: w.percent } },
    t(`warning.${w.clock === 'restoration' ? 'restoration' : 'arrival'}`,
      { percent: w.percent, time: clock(w.deadline), left: untilDeadline(w.deadline) }));
}

export function deadlineLine(job) {
  if (job.on_site_at && job.restore_deadline) {
    return h('div', { class: 'deadline' }, t('jobs.restore_by', { time: clock(job.restore_deadline), left: untilDeadline(job.restore_deadline) }));
  }
  if (!job.arrival_deadline) return null;
  return h('div', { class: 'deadline' },
    t('jobs.arrive_by', { time: clock(job.arrival_deadline), left: untilDeadline(job.arrival_deadline) }),
    job.eta_s ? t('jobs.drive', { drive: duration(job.eta_s) }) : '');
}
