// The sign-in screen: user name and password for a bearer token (POST /api/v1/auth/token).

import { call, NetworkError } from './api.js';
import { h, fill } from './dom.js';
import { languageSwitch, t } from './common/i18n.js';

/** Show the form in `root`; `onSignedIn(session)` once the server gave a token. */
export function renderSignIn(root, { message, onSignedIn }) {
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: 'false', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: !message }, message ?? '');
  const submit = h('button', { class: 'big primary', type: 'submit' }, t('signin.submit'));

  function say(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  async function signIn(event) {
    event.preventDefault();
    submit.disabled = true;
    try {
      const answer = await call('POST', '/api/v1/auth/token', {
        auth: false, body: { username: username.value.trim(), password: password.value },
      });
      if (answer.data.user.role !== 'crew') {
        say(t('signin.not_crew', { user: answer.data.user.username, role: answer.data.user.role }));
        return;
      }
      onSignedIn(answer.data);
    } catch (error) {
      if (error instanceof NetworkError) say(t('signin.no_network'));
      else if (error.status === 401) say(t('signin.wrong'));
      else if (error.status === 429) say(t('signin.too_many', { why: error.message, s: error.headers.get('Retry-After') ?? '60' }));
      else say(error.message);
    } finally {
      submit.disabled = false;
    }
  }

  fill(root, h('form', { class: 'signin', onsubmit: signIn },
    h('div', { class: 'signin-head' }, h('h1', {}, t('signin.title')), languageSwitch()),
    h('label', { for: 'username' }, t('signin.username')), username,
    h('label', { for: 'password' }, t('signin.password')), password,
    problem, submit));
  username.focus();
}
