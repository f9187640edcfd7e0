// Calls to our API as the signed-in dispatcher. Every answer is data (2xx) or a ProblemError
// (an HTTP error, with the server's RFC 9457 problem when it sent one); no answer at all is a
// ProblemError with status 0.

import { t } from './common/i18n.js';

const KEY = 'desk.session';
const TIMEOUT_MS = 15000;

export const sessionEvents = new EventTarget();

/** {access_token, expires_at, user: {username, role}} or null. */
export function currentSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY));
    return session?.access_token ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

export function token() {
  return currentSession()?.access_token ?? null;
}

export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** fetch() our API; resolves to the JSON body (null for 204). A 401 ends the session. */
export async function call(method, path, body, { auth = true } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) };
  if (auth && token()) init.headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ProblemError(0, { title: t('problem.network') });
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    if (response.status === 401 && auth) sessionEvents.dispatchEvent(new Event('ended'));
    throw new ProblemError(response.status, data || { title: response.statusText || `HTTP ${response.status}` });
  }
  return data;
}

/** The roles that act at the desk; a viewer only reads (and the server refuses anyway: 403). */
export const ACTING_ROLES = ['admin', 'supervisor', 'dispatcher'];
export const DESK_ROLES = [...ACTING_ROLES, 'viewer'];

export function canAct() {
  return ACTING_ROLES.includes(currentSession()?.user?.role);
}
