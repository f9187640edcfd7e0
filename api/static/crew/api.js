// Calls to our own API. Every answer is one of three things the rest of the app handles:
// data (2xx), a ProblemError (an HTTP error, RFC 9457 problem+json when the server sent one),
// or a NetworkError (no answer at all: offline, timed out). `connectivity` tells the page whether
// the server was reachable on the last call, which navigator.onLine alone does not know.

import { currentSession } from './session.js';

const TIMEOUT_MS = 15000;
export const connectivity = new EventTarget();

export class NetworkError extends Error {}

export class ProblemError extends Error {
  constructor(status, problem, headers) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.headers = headers;
  }
}

function reachable(yes) {
  connectivity.dispatchEvent(new CustomEvent('change', { detail: { reachable: yes } }));
}

/** fetch() our API as the signed-in user; resolves to {status, data, headers}. */
export async function call(method, path, { body, headers = {}, auth = true } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) };
  const session = auth ? currentSession() : null;
  if (session) init.headers.Authorization = `Bearer ${session.access_token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    reachable(false);
    throw new NetworkError(error.name === 'TimeoutError' ? 'the server did not answer' : 'no network');
  }
  reachable(true);
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ProblemError(response.status, data || { title: response.statusText || `HTTP ${response.status}` },
      response.headers);
  }
  return { status: response.status, data, headers: response.headers };
}

/** Errors worth trying again later: no answer, the server's own trouble, rate limits. */
export function transient(error) {
  return error instanceof NetworkError || (error instanceof ProblemError &&
    (error.status >= 500 || error.status === 408 || error.status === 429));
}
