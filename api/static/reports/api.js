// Calls to our API as the signed-in manager. Every answer is data (2xx) or a ProblemError (an HTTP
// error, with the server's RFC 9457 problem when it sent one); no answer at all is status 0.

import { t } from './common/i18n.js';

const KEY = 'reports.session';
const TIMEOUT_MS = 30000;
/** Who reads the managers' reports (api/access.py REPORTS). */
export const REPORT_ROLES = ['admin', 'supervisor', 'manager'];

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

async function send(method, path, body, auth, accept) {
  const init = { method, headers: { Accept: accept }, signal: AbortSignal.timeout(TIMEOUT_MS) };
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
  if (!response.ok) {
    const type = response.headers.get('Content-Type') || '';
    const problem = type.includes('json') ? await response.json().catch(() => null) : null;
    if (response.status === 401 && auth) sessionEvents.dispatchEvent(new Event('ended'));
    throw new ProblemError(response.status, problem || { title: response.statusText || `HTTP ${response.status}` });
  }
  return response;
}

/** fetch() our API; resolves to the JSON body (null for 204). A 401 ends the session. */
export async function call(method, path, body, { auth = true } = {}) {
  const response = await send(method, path, body, auth, 'application/json');
  return response.status === 204 ? null : response.json();
}

/** A file from our API (the workbook): resolves to a Blob. */
export async function download(path, body) {
  const response = await send('POST', path, body, true, '*/*');
  return response.blob();
}
