// The job list: the crew's current job first, each a big card that opens the job.

import { h, fill, clock, untilDeadline, duration } from './dom.js';
import { localStatus, statusLabel } from './lifecycle.js';

/** "No power" for kind no_power. */
export function kindLabel(job) {
  const words = (job.kind ?? 'fault').replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Render the list; `pendingFor(job)` gives the job's actions still waiting to be sent. */
export function renderJobs(root, { crew, jobs, loaded, loadProblem, pendingFor }) {
  const heading = h('div', { class: 'crew' },
    h('h1', {}, crew ? crew.name : 'My jobs'),
    crew && h('span', { class: 'muted' }, crew.on_duty ? 'on duty' : 'off duty'));
  let body;
  if (loadProblem) body = h('p', { class: 'problem', role: 'alert' }, loadProblem);
  else if (!loaded) body = h('p', { class: 'muted' }, 'Loading jobs…');
  else if (!jobs.length) body = h('p', { class: 'empty' }, 'No jobs for now. New jobs appear here.');
  else body = h('ul', { class: 'jobs' }, jobs.map((job) => h('li', {}, card(job, pendingFor(job)))));
  fill(root, heading, body);
}

function card(job, pending) {
  const status = localStatus(job, pending);
  return h('a', { class: 'job-card', href: `#/jobs/${job.id}`, dataset: { job: job.id } },
    h('div', { class: 'row' },
      h('span', { class: `status status-${status}` }, statusLabel(job, status)),
      job.hazard && h('span', { class: 'hazard' }, 'HAZARD'),
      pending.length > 0 && h('span', { class: 'waiting' }, `${pending.length} waiting`)),
    h('div', { class: 'kind' }, `#${job.id} · ${kindLabel(job)}`),
    h('div', {}, job.address ?? (job.device ? `${job.device.kind} ${job.device.code}` : 'No address')),
    h('div', { class: 'muted' },
      `${job.customers_affected ?? 0} customers out`,
      job.critical_customers ? ', critical customers among them' : ''),
    deadlineLine(job));
}

export function deadlineLine(job) {
  if (job.on_site_at && job.restore_deadline) {
    return h('div', { class: 'deadline' }, `Restore by ${clock(job.restore_deadline)} (${untilDeadline(job.restore_deadline)})`);
  }
  if (!job.arrival_deadline) return null;
  return h('div', { class: 'deadline' },
    `Arrive by ${clock(job.arrival_deadline)} (${untilDeadline(job.arrival_deadline)})`,
    job.eta_s ? ` · drive ${duration(job.eta_s)}` : '');
}
