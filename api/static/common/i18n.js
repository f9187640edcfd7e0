// Languages of the web apps (crew phone app and dispatcher's console): each app hands its catalogs
// (one plain object per language, key -> text) to useCatalogs(), and every string on screen comes
// from t(). The language is the one chosen in the page (remembered in localStorage), else the
// first of the browser's languages we have (any Chinese -> zh-CN), else English.
//
// A text may hold {name} placeholders, and may be {one, other} (Intl.PluralRules on {n}).

const STORAGE_KEY = 'ui.language';
/** Every language an app offers, named in itself (for the switch). */
export const LANGUAGES = { en: 'English', 'zh-CN': '简体中文' };
export const languageEvents = new EventTarget();

let catalogs = {};
let current = 'en';

/** The language for a browser that asks for `wanted` (navigator.languages), of those `offered`. */
export function pickLanguage(wanted, offered) {
  for (const tag of wanted ?? []) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh') && offered.includes('zh-CN')) return 'zh-CN';
    const exact = offered.find((l) => l.toLowerCase() === lower || l.toLowerCase() === lower.split('-')[0]);
    if (exact) return exact;
  }
  return offered.includes('en') ? 'en' : offered[0];
}

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage blocked: the browser's language then
  }
}

/** Install an app's catalogs ({en: {...}, 'zh-CN': {...}}) and choose the language. */
export function useCatalogs(byLanguage) {
  catalogs = byLanguage;
  const offered = Object.keys(catalogs);
  const remembered = stored();
  current = offered.includes(remembered) ? remembered : pickLanguage(navigator.languages ?? [navigator.language], offered);
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

/** Switch language, remember it, and tell the app (which draws itself again). */
export function setLanguage(lang) {
  if (!(lang in catalogs) || lang === current) return;
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch { /* not remembered: still switched */ }
  document.documentElement.lang = lang;
  languageEvents.dispatchEvent(new CustomEvent('change', { detail: { language: lang } }));
}

const reported = new Set();

/** The text for `key` in the current language (English when a catalog lacks it), filled in. */
export function t(key, values = {}) {
  let text = catalogs[current]?.[key] ?? catalogs.en?.[key];
  if (text === undefined) {
    if (!reported.has(key)) console.warn(`i18n: no text for ${key}`);
    reported.add(key);
    return key;
  }
  if (typeof text === 'object') {
    const form = new Intl.PluralRules(current).select(Number(values.n ?? 0));
    text = text[form] ?? text.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** A language <select> for the page's bar. */
export function languageSwitch({ id = 'language', className = 'language' } = {}) {
  const select = document.createElement('select');
  select.id = id;
  select.className = className;
  select.setAttribute('aria-label', 'Language / 语言');
  for (const lang of Object.keys(catalogs)) {
    const option = document.createElement('option');
    option.value = lang;
    option.textContent = LANGUAGES[lang] ?? lang;
    option.selected = lang === current;
    select.append(option);
  }
  select.addEventListener('change', () => setLanguage(select.value));
  languageEvents.addEventListener('change', () => { select.value = current; });
  return select;
}

/** Numbers in the current language's way ("1,234"). */
export function number(n) {
  return new Intl.NumberFormat(current).format(n ?? 0);
}

/** A time in `timeZone` (e.g. the desk's Asia/Shanghai): "14:05", with the date when `withDate`. */
export function formatTime(iso, { timeZone, withDate = false, seconds = false } = {}) {
  if (!iso) return '';
  const options = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone };
  if (seconds) options.second = '2-digit';
  if (withDate) Object.assign(options, { month: '2-digit', day: '2-digit' });
  return new Intl.DateTimeFormat(current, options).format(new Date(iso));
}
