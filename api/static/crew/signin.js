// The sign-in screen: user name and password for a bearer token (POST /api/v1/auth/token).

import { call, NetworkError } from './api.js';
import { h, fill } from './dom.js';

/** Show the form in `root`; `onSignedIn(session)` once the server gave a token. */
export function renderSignIn(root, { message, onSignedIn }) {
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', autocapitalize: 'none',
    spellcheck: 'false', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const problem = h('p', { class: 'problem', role: 'alert', hidden: !message }, message ?? '');
  const submit = h('button', { class: 'big primary', type: 'submit' }, 'Sign in');

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
        say(`This app is for repair crews; ${answer.data.user.username} signs in as ${answer.data.user.role}.`);
        return;
      }
      onSignedIn(answer.data);
    } catch (error) {
      if (error instanceof NetworkError) say('No network: signing in needs a connection. Nothing waiting is lost.');
      else if (error.status === 401) say('Wrong user name or password.');
      else if (error.status === 429) say(`${error.message} Try again in ${error.headers.get('Retry-After') ?? 'a few'} s.`);
      else say(error.message);
    } finally {
      submit.disabled = false;
    }
  }

  fill(root, h('form', { class: 'signin', onsubmit: signIn },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'username' }, 'User name'), username,
    h('label', { for: 'password' }, 'Password'), password,
    problem, submit));
  username.focus();
}
