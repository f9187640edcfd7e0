// Acting on the map: drawing a road closure (two or more clicks) and lifting one (its popup), and
// taking a hotline call (find the customer by account, phone or address, or click the map; an open
// incident of that customer is shown before a new report is posted; a call inside planned work is
// kept with it, and the dialog says so instead of opening an incident). Viewers get none of these.
// Switching has a module of its own (switching.js).

import { call, canAct } from './api.js';
import { h, fill } from './common/dom.js';
import { t } from './common/i18n.js';
import { REPORT_KINDS, deskTime, kindLabel, statusLabel } from './incidents.js';
import { loadClosures } from './live.js';
import { state } from './state.js';

const SUGGEST_DELAY_MS = 250;

export function createTools({ desk, bar, hint, onOpen, onChanged }) {
  let mode = null; // 'closure' | 'pick'
  let points = [];
  let picked = null;

  function setHint(text, ...buttons) {
    hint.hidden = !text;
    fill(hint, text && h('span', {}, text), ...buttons);
  }

  function cancel() {
    mode = null;
    points = [];
    desk.showDraft([]);
    desk.takeClicks(null);
    setHint(null);
    bar.querySelectorAll('button').forEach((b) => b.classList.remove('on'));
  }

  // --- road closures ---------------------------------------------------------------------------

  const closureDialog = h('dialog', { class: 'closure-dialog', id: 'closure-dialog' });

  function drawClosure() {
    if (mode === 'closure') return cancel();
    cancel();
    mode = 'closure';
    bar.querySelector('#tool-closure').classList.add('on');
    const finish = h('button', { type: 'button', class: 'primary', id: 'finish-closure', disabled: true, onclick: askReason }, t('closure.finish'));
    setHint(t('closure.hint'), finish, h('button', { type: 'button', onclick: cancel }, t('tools.cancel')));
    desk.takeClicks((lngLat) => {
      points.push([Number(lngLat.lng.toFixed(6)), Number(lngLat.lat.toFixed(6))]);
      desk.showDraft(points);
      finish.disabled = points.length < 2;
    });
    return undefined;
  }

  function askReason() {
    const reason = h('input', { id: 'closure-reason', required: true, maxlength: 500, placeholder: t('closure.reason_placeholder') });
    const hours = h('input', { id: 'closure-hours', type: 'number', min: 0, step: 0.5, placeholder: t('closure.hours_placeholder') });
    const problem = h('p', { class: 'problem', hidden: true });
    fill(closureDialog, h('form', { method: 'dialog', onsubmit: async (event) => {
      event.preventDefault();
      const body = { reason: reason.value.trim(), geometry: { type: 'LineString', coordinates: points } };
      if (Number(hours.value) > 0) body.until = new Date(Date.now() + Number(hours.value) * 3600000).toISOString();
      try {
        await call('POST', '/api/v1/roads/closures', body);
        closureDialog.close();
        cancel();
        await loadClosures();
        onChanged();
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
      }
    } },
    h('h2', {}, t('closure.title')),
    h('label', { for: 'closure-reason' }, t('closure.reason')), reason,
    h('label', { for: 'closure-hours' }, t('closure.hours')), hours,
    problem,
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => closureDialog.close() }, t('tools.cancel')),
      h('button', { type: 'submit', class: 'primary', id: 'save-closure' }, t('closure.save')))));
    closureDialog.showModal();
    reason.focus();
  }

  /** The popup of a closure clicked on the map: why, until when, and (for the desk) reopen it. */
  function closurePopup(closure, lngLat) {
    const problem = h('p', { class: 'problem', hidden: true });
    const body = h('div', { class: 'popup closure-popup', dataset: { closure: closure.id } },
      h('strong', {}, t('closure.popup_title')),
      h('p', {}, closure.reason),
      h('p', { class: 'muted' }, closure.until ? t('closure.until', { time: deskTime(closure.until, { withDate: true }) })
        : t('closure.until_reopened')),
      problem);
    const popup = desk.popup(lngLat, body);
    if (!canAct()) return;
    const lift = h('button', { type: 'button', class: 'act primary', id: 'lift-closure', onclick: async () => {
      lift.disabled = true;
      try {
        await call('DELETE', `/api/v1/roads/closures/${closure.id}`);
        popup.remove();
        await loadClosures();
        onChanged();
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
        lift.disabled = false;
      }
    } }, t('closure.lift'));
    body.append(lift);
  }

  // --- hotline calls ---------------------------------------------------------------------------

  const callDialog = h('dialog', { class: 'call-dialog', id: 'call-dialog' });

  function takeCall() {
    cancel();
    picked = null;
    const search = h('input', { id: 'call-search', type: 'search', autocomplete: 'off', placeholder: t('call.search_placeholder') });
    const suggestions = h('ul', { class: 'suggestions', id: 'call-suggestions', role: 'listbox' });
    const chosen = h('div', { class: 'chosen', id: 'call-chosen' });
    const kind = h('select', { id: 'call-kind' }, REPORT_KINDS.map((k) => h('option', { value: k }, kindLabel(k))));
    const hazard = h('input', { id: 'call-hazard', type: 'checkbox' });
    const description = h('textarea', { id: 'call-description', rows: 2, maxlength: 4000, placeholder: t('call.description_placeholder') });
    const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
    const planned = h('p', { class: 'planned-note', id: 'call-planned', role: 'status', hidden: true });
    const submit = h('button', { type: 'submit', class: 'primary', id: 'call-submit', disabled: true }, t('call.submit'));
    let timer = null;

    function choose(customer) {
      picked = customer;
      submit.disabled = false;
      fill(suggestions);
      const open = customer.open_incident ? state.incidents.get(customer.open_incident) : null;
      fill(chosen,
        h('p', {}, h('strong', {}, customer.name ?? t('call.a_place')), customer.account_no ? ` · ${customer.account_no}` : '',
          customer.address ? ` · ${customer.address}` : ''),
        customer.open_incident && h('div', { class: 'existing', id: 'call-existing' },
          h('strong', {}, t('call.already', { id: customer.open_incident })),
          open && ` ${statusLabel(open.status)}${open.crew ? ` · ${open.crew}` : ''}`,
          h('button', { type: 'button', class: 'link', onclick: () => { callDialog.close(); onOpen(customer.open_incident); } },
            t('call.open_existing')),
          h('p', { class: 'muted' }, t('call.already_hint'))));
    }

    async function suggest() {
      const q = search.value.trim();
      if (q.length < 2) return fill(suggestions);
      try {
        const { customers } = await call('GET', `/api/v1/customers?q=${encodeURIComponent(q)}&limit=10`);
        fill(suggestions, customers.length ? customers.map((c) => h('li', { role: 'option', tabindex: 0, dataset: { account: c.account_no },
          onclick: () => choose(c), onkeydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); choose(c); } } },
        h('strong', {}, c.account_no), ` ${c.name ?? ''} · ${c.address ?? ''} · ${c.phone ?? ''}`,
        c.open_incident ? h('span', { class: 'tag status' }, `#${c.open_incident}`) : null))
          : h('li', { class: 'muted' }, t('call.no_match')));
      } catch (error) {
        // No customer search on this server: the account number as typed is the locator.
        fill(suggestions, h('li', { role: 'option', tabindex: 0, onclick: () => choose({ account_no: q }) },
          t('call.use_account', { account: q })));
      }
      return undefined;
    }

    search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, SUGGEST_DELAY_MS);
    });

    function pickOnMap() {
      callDialog.close();
      mode = 'pick';
      setHint(t('call.pick_hint'), h('button', { type: 'button', onclick: () => { cancel(); callDialog.showModal(); } }, t('tools.cancel')));
      desk.takeClicks(async (lngLat) => {
        const location = { lon: Number(lngLat.lng.toFixed(6)), lat: Number(lngLat.lat.toFixed(6)) };
        cancel();
        callDialog.showModal();
        // The nearest customer at that spot, when the click was on one; else the place itself.
        const d = 0.0003;
        let customer = null;
        try {
          const found = await call('GET', `/api/v1/grid/customers?bbox=${location.lon - d},${location.lat - d},${location.lon + d},${location.lat + d}&limit=20`);
          customer = found.features.map((f) => ({ ...f.properties, location: f.geometry }))
            .sort((a, b) => distance(a.location, location) - distance(b.location, location))[0] ?? null;
        } catch { /* the place it is */ }
        choose(customer ? { ...customer, open_incident: openIncidentOf(customer) } : { location });
      });
    }

    fill(callDialog, h('form', { method: 'dialog', onsubmit: async (event) => {
      event.preventDefault();
      if (!picked) return;
      const body = { channel: 'hotline', kind: kind.value };
      if (picked.account_no) body.account_no = picked.account_no;
      else if (picked.location) body.location = picked.location;
      if (hazard.checked) body.hazard = true;
      if (description.value.trim()) body.description = description.value.trim();
      submit.disabled = true;
      try {
        const answer = await call('POST', '/api/v1/reports', body);
        if (!answer.incident) { // inside planned work: the call is kept with it, no crew is sent
          const work = answer.planned_outage;
          planned.textContent = t('call.planned', { reference: work.reference, reason: work.reason,
            end: deskTime(work.window_end, { withDate: true }) });
          planned.hidden = false;
          return;
        }
        callDialog.close();
        onChanged();
        onOpen(answer.incident.id, { offerCustomerSide: true });
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
        submit.disabled = false;
      }
    } },
    h('h2', {}, t('call.title')),
    h('label', { for: 'call-search' }, t('call.find')),
    h('div', { class: 'row' }, search, h('button', { type: 'button', id: 'call-pick', onclick: pickOnMap }, t('call.pick'))),
    suggestions, chosen,
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'call-kind' }, t('call.kind')), kind),
      h('label', { class: 'check' }, hazard, t('call.hazard'))),
    h('label', { for: 'call-description' }, t('call.description')), description,
    problem, planned,
    h('div', { class: 'row end' },
      h('button', { type: 'button', onclick: () => callDialog.close() }, t('tools.cancel')), submit)));
    callDialog.showModal();
    search.focus();
  }

  function openIncidentOf(customer) {
    // The grid layer does not say; the incidents on the desk do, for a customer of their transformer.
    const match = [...state.incidents.values()].find((i) => i.device?.kind === 'transformer' && i.device.code === customer.transformer);
    return match?.id ?? null;
  }

  if (canAct()) {
    fill(bar,
      h('button', { type: 'button', class: 'tool primary', id: 'tool-call', onclick: takeCall }, t('tools.take_call')),
      h('button', { type: 'button', class: 'tool', id: 'tool-closure', onclick: drawClosure }, t('tools.close_road')));
    document.body.append(closureDialog, callDialog);
  }

  return { closurePopup, cancel };
}

function distance(point, place) {
  const [lon, lat] = point?.coordinates ?? [Infinity, Infinity];
  return (lon - place.lon) ** 2 + (lat - place.lat) ** 2;
}
