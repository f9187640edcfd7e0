// Alerts a dispatcher cannot miss: a red banner and a beep (Web Audio, no sound file) when an
// incident turns at_risk or breached, or a hazard is reported, repeated until someone
// acknowledges it. With the server's alerts (GET /api/v1/alerts, the stream's `alert` messages)
// the acknowledgement is recorded there, for everyone; a server without them leaves the desk to
// notice the changes itself, acknowledged on this screen only.

import { call, canAct } from './api.js';
import { h, fill } from './common/dom.js';
import { t } from './common/i18n.js';
import { deskTime, slaState } from './incidents.js';
import { state } from './state.js';

const BEEP_EVERY_MS = 8000;
const POLL_MS = 5000;
const ALARMING = ['at_risk', 'breached'];

export function createAlerts(root, { onOpen }) {
  let server = null;      // true: the server keeps alerts; false: this page does; null: not known yet
  let alerts = [];        // [{id, incident, kind, at}]
  let audio = null;
  let beeping = null;
  let localIds = 0;
  const startedAt = Date.now();

  function beep() {
    try {
      audio ??= new AudioContext();
      if (audio.state === 'suspended') audio.resume();
      const tone = (frequency, from, length) => {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = 'square';
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, audio.currentTime + from);
        gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + from + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + from + length);
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(audio.currentTime + from);
        oscillator.stop(audio.currentTime + from + length + 0.05);
      };
      tone(880, 0, 0.18);
      tone(660, 0.22, 0.18);
      tone(880, 0.44, 0.25);
    } catch (error) {
      console.warn('no sound', error);
    }
  }

  function soundOn() {
    return audio?.state === 'running';
  }

  function text(alert) {
    return t(`alert.${alert.kind}`, { id: alert.incident, percent: alert.percent ?? '' });
  }

  async function acknowledge(alert) {
    if (server && typeof alert.id === 'number') {
      try {
        await call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, {});
      } catch (error) {
        if (error.status !== 404 && error.status !== 409) return window.alert(error.message);
      }
    }
    alerts = alerts.filter((a) => a !== alert);
    render();
    return undefined;
  }

  function render() {
    document.body.classList.toggle('alerting', alerts.length > 0);
    root.dataset.count = String(alerts.length);
    if (!alerts.length) {
      clearInterval(beeping);
      beeping = null;
      fill(root);
      return;
    }
    if (!beeping) {
      beep();
      beeping = setInterval(beep, BEEP_EVERY_MS);
    }
    const shown = alerts.slice(-4).reverse();
    fill(root, h('div', { class: 'alert-banner', role: 'alert' },
      h('strong', { class: 'alert-count' }, t('alert.count', { n: alerts.length })),
      h('ul', {}, shown.map((alert) => h('li', { class: `alert alert-${alert.kind}`, dataset: { incident: alert.incident, kind: alert.kind } },
        h('time', {}, deskTime(alert.at)), ' ',
        h('button', { type: 'button', class: 'link', onclick: () => onOpen(alert.incident) }, text(alert)),
        canAct() && h('button', { type: 'button', class: 'ack', onclick: () => acknowledge(alert) }, t('alert.acknowledge'))))),
      alerts.length > shown.length && h('span', { class: 'muted' }, t('alert.more', { n: alerts.length - shown.length })),
      !soundOn() && h('button', { type: 'button', class: 'sound', onclick: () => { beep(); render(); } }, t('alert.enable_sound'))));
  }

  function add(alert) {
    if (alerts.some((a) => a.incident === alert.incident && a.kind === alert.kind)) return;
    alerts.push(alert);
    render();
  }

  async function load() {
    try {
      const answer = await call('GET', '/api/v1/alerts');
      server = true;
      const known = new Set(alerts.map((a) => a.id));
      alerts = answer.alerts.map((a) => alerts.find((b) => b.id === a.id) ?? a);
      if (answer.alerts.some((a) => !known.has(a.id))) {
        clearInterval(beeping);
        beeping = null; // something new: beep now
      }
      render();
    } catch (error) {
      if (error.status === 404) server = false;
    }
  }

  return {
    async start() {
      await load();
      setInterval(() => { if (server && state.live !== 'live') load(); }, POLL_MS);
    },
    /** An alert message from the stream (acknowledged ones carry acknowledged_at). */
    receive(alert) {
      server = true;
      if (alert.acknowledged_at) {
        alerts = alerts.filter((a) => a.id !== alert.id);
        render();
      } else {
        add(alert);
      }
    },
    /** An incident changed: without the server's alerts, the desk notices on its own. */
    observe(before, after) {
      if (server !== false || Date.now() - startedAt < 3000 && !before) return;
      const now = Date.now();
      const was = before ? slaState(before, now) : null;
      const is = slaState(after, now);
      const at = new Date(now).toISOString();
      if (ALARMING.includes(is) && is !== was && before) add({ id: `local-${++localIds}`, incident: after.id, kind: is, at });
      if (after.hazard && !before) add({ id: `local-${++localIds}`, incident: after.id, kind: 'hazard', at });
    },
    get list() {
      return alerts;
    },
  };
}
