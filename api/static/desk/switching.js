// Opening and closing a switch from the map. A click on a switch shows its state and what the
// other state would do (GET .../effect?is_open=); the button opens a confirmation in the page, not
// the browser's confirm(): it names how many customers lose (or regain) supply, the critical and
// life-support ones by name, and keeps Cancel as the default, so that Enter at 3 a.m. switches
// nothing. Only a press of the named button switches (PATCH /api/v1/grid/switches/{code}).

import { call, canAct } from './api.js';
import { h, fill } from './common/dom.js';
import { number, t } from './common/i18n.js';
import { canPlan, createPlanning } from './planning.js';

/** Critical customers named in the confirmation; the rest are counted. */
const NAMED_AT_MOST = 8;

export function createSwitching({ desk, onChanged }) {
  // At the top of the screen, so that the switch, ringed on the map, stays in sight below it.
  const dialog = h('dialog', { class: 'switch-dialog', id: 'switch-dialog', onclose: () => desk.markSwitch(null) });
  if (canAct()) document.body.append(dialog);
  const planning = createPlanning();

  function kindAndCode(properties) {
    return t('switch.named', { kind: t(`switch_kind.${properties.kind}`), code: properties.code });
  }

  /** The effect in one line: what a dispatcher must know before pressing. */
  function effectLine(open, effect) {
    if (open && effect.customers_off) return t('switch.would_cut', { n: number(effect.customers_off), critical: number(effect.critical_off.length) });
    if (!open && effect.customers_on) return t('switch.would_restore', { n: number(effect.customers_on) });
    return t('switch.no_effect');
  }

  /** The confirmation's headline: the customers this switching cuts off or brings back, large. */
  function headline(open, effect) {
    const [kind, text] = open && effect.customers_off ? ['cut', t('switch.effect_cut', { n: number(effect.customers_off) })]
      : !open && effect.customers_on ? ['restore', t('switch.effect_restore', { n: number(effect.customers_on) })]
        : ['none', t('switch.effect_none')];
    return h('p', { class: `switch-effect ${kind}`, id: 'switch-effect', dataset: { effect: kind } }, text);
  }

  function criticalPart(effect) {
    if (!effect.customers_off) return null;
    const critical = effect.critical_off;
    if (!critical.length) return h('p', { class: 'none-critical', id: 'switch-critical' }, t('switch.none_critical'));
    const shown = critical.slice(0, NAMED_AT_MOST);
    return h('div', { class: 'critical-off', id: 'switch-critical' },
      h('p', {}, h('strong', {}, t('switch.critical_named', { n: number(critical.length) }))),
      h('ul', {}, shown.map((c) => h('li', { dataset: { account: c.account_no } },
        h('strong', {}, c.name ?? c.account_no), ' ', h('span', { class: 'tag critical' }, t(`priority.${c.priority}`)),
        h('span', { class: 'muted' }, ` · ${t('switch.account', { account: c.account_no })}`)))),
      critical.length > shown.length && h('p', { class: 'muted' }, t('switch.more_critical', { n: number(critical.length - shown.length) })));
  }

  function confirmSwitching(properties, at, open, effect) {
    const cuts = open && effect.customers_off > 0;
    const cancel = h('button', { type: 'button', id: 'switch-cancel', onclick: () => dialog.close() }, t('tools.cancel'));
    const problem = h('p', { class: 'problem', role: 'alert', hidden: true });
    const go = h('button', { type: 'button', class: cuts ? 'danger' : 'primary', id: 'switch-confirm', onclick: async () => {
      go.disabled = true;
      try {
        await call('PATCH', `/api/v1/grid/switches/${encodeURIComponent(properties.code)}`, { is_open: open });
        dialog.close();
        desk.reloadTiles();
        onChanged();
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
        go.disabled = false;
      }
    } }, cuts ? t('switch.confirm_open_cut', { code: properties.code, n: number(effect.customers_off) })
      : open ? t('switch.confirm_open', { code: properties.code }) : t('switch.confirm_close', { code: properties.code }));
    dialog.dataset.switch = properties.code;
    dialog.dataset.open = String(open);
    fill(dialog,
      h('h2', {}, open ? t('switch.title_open', { what: kindAndCode(properties) }) : t('switch.title_close', { what: kindAndCode(properties) })),
      h('p', { class: 'muted' }, properties.is_open ? t('switch.now_open') : t('switch.now_closed')),
      headline(open, effect),
      open && criticalPart(effect),
      problem,
      h('div', { class: 'row end' }, cancel, go));
    desk.markSwitch(properties.code, at);
    dialog.showModal();
    cancel.focus(); // Enter or Escape: nothing is switched
  }

  /** The popup of a switch clicked on the map, with the operation it offers. */
  async function switchPopup(properties, lngLat, at = [lngLat.lng, lngLat.lat]) {
    const body = h('div', { class: 'popup switch-popup', dataset: { switch: properties.code } },
      h('strong', {}, kindAndCode(properties)),
      h('p', {}, properties.is_open ? t('switch.is_open') : t('switch.is_closed'),
        properties.normally_open ? ` · ${t('switch.normally_open')}` : ''));
    const popup = desk.popup(lngLat, body);
    if (!canAct()) return;
    const open = !properties.is_open; // the operation offered: the other state
    try {
      const effect = await call('GET', `/api/v1/grid/switches/${encodeURIComponent(properties.code)}/effect?is_open=${open}`);
      body.append(
        h('p', { class: effect.customers_off ? 'problem' : 'muted' }, effectLine(open, effect)),
        h('button', { type: 'button', class: `act ${open ? 'danger' : 'primary'}`, id: 'operate-switch',
          onclick: () => { popup.remove(); confirmSwitching(properties, at, open, effect); } },
        open ? t('switch.open') : t('switch.close')),
        canPlan() && h('button', { type: 'button', class: 'act', id: 'plan-work',
          onclick: () => { popup.remove(); planning.open(properties.code); } }, t('plan.open')));
    } catch (error) {
      body.append(h('p', { class: 'problem' }, error.message));
    }
  }

  return { switchPopup };
}
