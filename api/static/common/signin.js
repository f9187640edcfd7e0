// The sign-in screen of the desk and the reports page: user name and password for a bearer token
// (POST /api/v1/auth/token), refused here for a role the app does not serve. (The crew app has its
// own, crew/signin.js: its calls queue offline and it says more about the network.)

import { fill, h } from './dom.js';
import { languageSwitch, t } from './i18n.js';

/** Show the form in `root`. `call` and `saveSession` are the app's (common/api.js's client);
 * a user whose role is not in `roles` is told `t(notAllowedKey)`; `onSignedIn()` after the
 * session is saved. `message` says why the screen is shown (a session that ended). */
export function signInScreen(root, { call, saveSession, roles, notAllowedKey, onSignedIn, message, submitClass = 'primary' }) {
  document.title = t('app.title');
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: !message }, message ?? '');
  const submit = h('button', { type: 'submit', class: submitClass }, t('signin.submit'));
  async function signIn(event) {
    event.preventDefault();
    submit.disabled = true;
    try {
      const session = await call('POST', '/api/v1/auth/token', { username: username.value.trim(), password: password.value },
        { auth: false });
      if (!roles.includes(session.user.role)) {
        problem.textContent = t(notAllowedKey, { user: session.user.username, role: t(`role.${session.user.role}`) });
        problem.hidden = false;
        return;
      }
      saveSession(session);
      onSignedIn();
    } catch (error) {
      problem.textContent = error.status === 401 ? t('signin.wrong') : error.message;
      problem.hidden = false;
    } finally {
      submit.disabled = false;
    }
  }
  fill(root, h('main', { class: 'signin-screen' },
    h('form', { class: 'signin', onsubmit: signIn },
      h('div', { class: 'signin-head' }, h('h1', {}, t('app.title')), languageSwitch()),
      h('p', { class: 'muted' }, t('signin.lead')),
      h('label', { for: 'username' }, t('signin.username')), username,
      h('label', { for: 'password' }, t('signin.password')), password,
      problem, submit)));
  username.focus();
}
