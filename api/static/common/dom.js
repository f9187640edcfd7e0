// Building the page from code, never from HTML strings: text from the server (addresses,
// callers' descriptions, problem details, zone names) can never inject markup. Shared by the web
// apps (served inside each as /<app>/common/dom.js).

/** An element: h('button', {class: 'primary', onclick: f}, 'Assign'). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'value') element.value = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replace everything inside `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return parent;
}

/** What the user has typed or opened inside `root` (the fields that have an id, whether their
 * forms are shown, the focus and the caret), as a function that puts it back once `root` has been
 * drawn again: a live update that redraws a panel must not wipe a half-written reason or move the
 * caret away. A select put back is told it changed, so that what follows from it (a cause's list)
 * is filled before the next field is put back. */
export function keepTyped(root) {
  const fields = [...root.querySelectorAll('input[id], textarea[id], select[id]')].map((field) => ({
    id: field.id, value: field.value, checked: field.checked, shown: !field.form?.hidden }));
  const focused = root.contains(document.activeElement) && document.activeElement.id ? document.activeElement : null;
  const caret = focused && typeof focused.selectionStart === 'number' ? [focused.selectionStart, focused.selectionEnd] : null;
  const find = (id) => root.querySelector(`#${CSS.escape(id)}`);
  return () => {
    for (const kept of fields) {
      const field = find(kept.id);
      if (!field) continue;
      if (kept.shown && field.form?.hidden) field.form.hidden = false;
      if (field.type === 'checkbox' || field.type === 'radio') {
        field.checked = kept.checked;
      } else if (field.value !== kept.value) {
        field.value = kept.value;
        if (field.tagName === 'SELECT') field.dispatchEvent(new Event('change'));
      }
    }
    const again = focused && find(focused.id);
    if (!again) return;
    again.focus();
    if (caret && typeof again.setSelectionRange === 'function') again.setSelectionRange(...caret);
  };
}
