// What a crew can do next with a job, also while its presses are still waiting to be sent.

import { t } from './common/i18n.js';

/** The crew's own events, in the order a job normally goes through them. */
const action = (type) => ({
  get label() { return t(`action.${type}`); },
  get done() { return t(`done.${type}`); },
});
export const ACTIONS = {
  accepted: action('accepted'), en_route: action('en_route'), on_site: action('on_site'), restored: action('restored'),
};
/** A queued action's name in words: a lifecycle step, or the closing report. */
export function actionName(type) {
  return ACTIONS[type]?.done ?? (type === 'closing_report' ? t('report.action') : type);
}
const STATUSES = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'restored', 'closed', 'cancelled', 'merged'];

// The statuses each event may follow: the crew's part of ALLOWED_AFTER in dispatch/incidents/lifecycle.py.
// Used only while presses wait offline; otherwise the server's allowed_next decides.
const FOLLOWS = {
  accepted: ['assigned'],
  en_route: ['assigned', 'accepted'],
  on_site: ['assigned', 'accepted', 'en_route'],
  restored: ['on_site'],
};
const ORDER = ['new', 'assigned', 'accepted', 'en_route', 'on_site', 'restored', 'closed'];

/** "Next job" for a job the dispatcher queued for the crew, else the status's own words. */
export function statusLabel(job, status) {
  return job.queued ? t('status.next_job') : (STATUSES.includes(status) ? t(`status.${status}`) : status);
}

/** The job's status as the crew sees it: the server's, moved on by presses not yet sent. */
export function localStatus(job, pending) {
  let status = job.status;
  for (const action of pending) {
    if (ORDER.indexOf(action.type) > ORDER.indexOf(status)) status = action.type;
  }
  return status;
}

/** The actions to offer now, in lifecycle order. */
export function nextActions(job, pending) {
  if (!pending.length) return Object.keys(ACTIONS).filter((type) => (job.allowed_next ?? []).includes(type));
  const status = localStatus(job, pending);
  return Object.keys(ACTIONS).filter((type) => FOLLOWS[type].includes(status));
}
