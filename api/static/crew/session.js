// The signed-in crew member: the bearer token from POST /api/v1/auth/token, kept in
// localStorage because it is small and needed synchronously before anything else starts.
// Signing out or an expired token never touches the queue of waiting actions (queue.js).

const KEY = 'crew.session';

/** {access_token, expires_at, user: {username, role, crew}} or null. */
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

/** True when the token's own expiry has passed (the server would answer 401). */
export function expired(session, now = Date.now()) {
  return !session || (session.expires_at && new Date(session.expires_at).getTime() <= now);
}
