// One report on the page: its heading and a sentence on what it counts, its own controls, the
// state of its loading (or why it could not be shown), its exports and its content.

import { t } from './common/i18n.js';
import { fill, h } from './common/dom.js';
import { exportButtons } from './exports.js';

/**
 * A report section. `table()` gives the table to export ({name, caption, columns, rows, total}),
 * `file()` the downloads' name. Returns {element, controls, content, busy(), failed(error), done()}.
 */
export function createSection({ id, title, lead, table, file }) {
  const status = h('p', { class: 'status', role: 'status', id: `${id}-status` });
  const controls = h('div', { class: 'section-controls' });
  const content = h('div', { class: 'section-content', id: `${id}-content` });
  const exports = exportButtons(id, file, table, (error) => say(error));
  const element = h('section', { class: 'report-section', id, 'aria-labelledby': `${id}-title` },
    h('header', { class: 'section-head' },
      h('div', {}, h('h2', { id: `${id}-title` }, title), h('p', { class: 'lead' }, lead)),
      exports),
    controls, status, content);

  function say(error) {
    // A report this server does not have (its route answers a plain 404) is said plainly; anything
    // else (no such zone, a period too long) as the server said it.
    const missing = error.status === 404 && (error.problem?.type ?? 'about:blank') === 'about:blank';
    status.className = 'status problem';
    status.textContent = missing ? t('section.not_available') : error.message;
  }

  return {
    element,
    controls,
    content,
    busy() {
      status.className = 'status';
      status.textContent = t('section.loading');
      element.setAttribute('aria-busy', 'true');
    },
    failed(error) {
      element.removeAttribute('aria-busy');
      element.dataset.state = 'failed';
      fill(content);
      exports.hidden = true;
      say(error);
    },
    done(note = '') {
      element.removeAttribute('aria-busy');
      element.dataset.state = 'ready';
      exports.hidden = false;
      status.className = 'status';
      status.textContent = note;
    },
  };
}

/** A labelled <select> of `options` [[value, text]]. */
export function choice(id, label, options, value, onchange) {
  const select = h('select', { id, onchange: () => onchange(select.value) },
    options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text)));
  return h('label', { class: 'control', for: id }, h('span', {}, label), select);
}

/** A labelled number <input>. */
export function count(id, label, value, onchange, { min = 1, max = 99 } = {}) {
  const input = h('input', { id, type: 'number', min, max, step: 1, value,
    onchange: () => { if (input.checkValidity() && input.value) onchange(Number(input.value)); } });
  return h('label', { class: 'control', for: id }, h('span', {}, label), input);
}
