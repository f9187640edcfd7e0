// The desk's session and calls (common/api.js), and who may act at the desk.

import { apiClient } from './common/api.js';

export { ProblemError } from './common/api.js';
export const { sessionEvents, currentSession, saveSession, clearSession, token, call } = apiClient('desk.session', 15000);

/** The roles that act at the desk; a viewer only reads (and the server refuses anyway: 403). */
export const ACTING_ROLES = ['admin', 'supervisor', 'dispatcher'];
export const DESK_ROLES = [...ACTING_ROLES, 'viewer'];

export function canAct() {
  return ACTING_ROLES.includes(currentSession()?.user?.role);
}
