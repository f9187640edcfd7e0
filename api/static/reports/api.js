// The reports page's session and calls (common/api.js): reports are long queries, so a call may
// take up to 30 s.

import { apiClient } from './common/api.js';

export { ProblemError } from './common/api.js';
export const { sessionEvents, currentSession, saveSession, clearSession, token, call, download } =
  apiClient('reports.session', 30000);

/** Who reads the managers' reports (api/access.py REPORTS). */
export const REPORT_ROLES = ['admin', 'supervisor', 'manager'];
