// Calls to our API as the signed-in user of one web app (the desk, the reports), each app keeping
// its own session. Every answer is data (2xx) or a ProblemError (an HTTP error, with the server's
// RFC 9457 problem when it sent one); no answer at all is a ProblemError with status 0.

import { t } from './i18n.js';

export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** The session (kept in localStorage under `key`) and the calls of one app; a call gives up after
 * `timeoutMs`. `sessionEvents` fires 'ended' when the server answers 401 to a signed call. */
export function apiClient(key, timeoutMs) {
  const sessionEvents = new EventTarget();

  /** {access_token, expires_at, user: {username, role}} or null. */
  function currentSession() {
    try {
      const session = JSON.parse(localStorage.getItem(key));
      return session?.access_token ? session : null;
    } catch {
      return null;
    }
  }

  const saveSession = (session) => localStorage.setItem(key, JSON.stringify(session));
  const clearSession = () => localStorage.removeItem(key);
  const token = () => currentSession()?.access_token ?? null;

  async function send(method, path, body, auth, accept) {
    const init = { method, headers: { Accept: accept }, signal: AbortSignal.timeout(timeoutMs) };
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

  /** fetch() our API; resolves to the JSON body (null for 204 or an answer that is not JSON). */
  async function call(method, path, body, { auth = true } = {}) {
    const response = await send(method, path, body, auth, 'application/json');
    const type = response.headers.get('Content-Type') || '';
    return response.status === 204 || !type.includes('json') ? null : response.json();
  }

  /** A file from our API (a workbook): resolves to a Blob. */
  async function download(path, body) {
    const response = await send('POST', path, body, true, '*/*');
    return response.blob();
  }

  return { sessionEvents, currentSession, saveSession, clearSession, token, call, download };
}
