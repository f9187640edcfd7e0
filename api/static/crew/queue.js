// The crew's actions (accept, en route, on site, restored, and the closing report after them),
// kept until the server has them.
//
// Every press is appended to a list in IndexedDB (idb-keyval) with its own Idempotency-Key and
// the phone's time, and the list is replayed oldest first. IndexedDB rather than localStorage:
// its read-modify-write runs in one transaction (two tabs, or a press during a replay, cannot
// lose an action), it does not block the page, and a service worker can read it too.
//
// A replay stops at the first action that gets no answer (it stays first in line, so order is
// kept); an answer 2xx removes it (201, or 200 for a key the server has seen); 401 keeps
// everything and asks for a new sign-in; any other 4xx will never succeed: it is removed and
// its problem shown to the crew.

import { get, update } from './vendor/idb-keyval/index.js';
import { call, transient } from './api.js';
import { currentSession, expired } from './session.js';

const KEY = 'crew.actions';
/** Listen for 'change' (count), 'sent' {action, result}, 'rejected' {action, problem}, 'signin'. */
export const queueEvents = new EventTarget();

function emit(name, detail = {}) {
  queueEvents.dispatchEvent(new CustomEvent(name, { detail }));
}

/** The actions of `username` still to send, oldest first (another user's stay for them). */
export async function waiting(username) {
  return ((await get(KEY)) ?? []).filter((action) => action.username === username);
}

/** Keep an action: {key, username, job, type, at, location?, note?}, or a closing report
 * {key, username, job, type: 'closing_report', at, report}. */
export async function enqueue(action) {
  await update(KEY, (list) => [...(list ?? []), action]);
  emit('change');
}

async function remove(key) {
  await update(KEY, (list) => (list ?? []).filter((action) => action.key !== key));
  emit('change');
}

function eventBody(action) {
  const body = { type: action.type, at: action.at };
  // `cause`: a restored press queued by an older app, which asked for a free-text cause.
  for (const field of ['location', 'note', 'cause']) {
    if (action[field] !== undefined && action[field] !== null && action[field] !== '') body[field] = action[field];
  }
  return body;
}

let running = null;
let again = false;

/** Send the waiting actions in order; resolves when the queue is empty or has to wait. */
export function replay() {
  // One replay at a time: in this tab by the promise, across tabs by a Web Lock (where there is
  // one). A call during a replay runs one more pass after it, so a press made just as the last
  // pass found the queue empty is not left for the next retry.
  if (running) {
    again = true;
    return running;
  }
  const locked = () => (navigator.locks ? navigator.locks.request('crew-actions-replay', drain) : drain());
  running = (async () => {
    do {
      again = false;
      await locked();
    } while (again);
  })().finally(() => { running = null; });
  return running;
}

async function drain() {
  for (;;) {
    const session = currentSession();
    if (expired(session)) {
      if ((await get(KEY))?.length) emit('signin');
      return;
    }
    const [action] = await waiting(session.user.username);
    if (!action) return;
    try {
      const answer = await call('POST', `/api/v1/me/jobs/${encodeURIComponent(action.job)}/${
        action.type === 'closing_report' ? 'closing-report' : 'events'}`, {
        body: action.type === 'closing_report' ? action.report : eventBody(action),
        headers: { 'Idempotency-Key': action.key },
      });
      await remove(action.key);
      emit('sent', { action, result: answer.data });
    } catch (error) {
      if (transient(error)) return; // stays first in line; the next 'online' event or retry sends it
      if (error.status === 401) {
        emit('signin');
        return;
      }
      if (error.problem === undefined) throw error; // a bug of ours, not an answer: keep the action
      await remove(action.key);
      emit('rejected', { action, problem: error.problem });
    }
  }
}
