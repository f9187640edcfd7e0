// The crew app's service worker (scope /crew/). It lets the app start with no signal:
// - the app shell (page, modules, styles, Leaflet) is cached at install and served from the cache;
// - the job list and the streets (GET) go to the network first and fall back to the last answer;
// - anything else, and every POST or DELETE, goes to the network untouched: the actions' own
//   queue (queue.js) decides what to keep, and a cached write would be a lie.
// The server puts a digest of the shell's files into VERSION, so any change to them installs
// a fresh cache.

const VERSION = '__SHELL_VERSION__';
const SHELL_CACHE = `crew-shell-${VERSION}`;
const API_CACHE = 'crew-api'; // main.js deletes it at sign-out
const NETWORK_TIMEOUT_MS = 10000;

const SHELL = [
  '/crew/',
  '/crew/app.css',
  '/crew/manifest.json',
  '/crew/icon.svg',
  '/crew/api.js',
  '/crew/dom.js',
  '/crew/common/dom.js',
  '/crew/common/api.js', // served with every app's common modules, all of which the shell holds,
  '/crew/common/signin.js', // used or not (the crew's calls are its api.js's, its sign-in its
  '/crew/common/map_words.js', // signin.js's, its map Leaflet's)
  '/crew/job.js',
  '/crew/jobs.js',
  '/crew/lifecycle.js',
  '/crew/main.js',
  '/crew/map.js',
  '/crew/positions.js',
  '/crew/queue.js',
  '/crew/report.js',
  '/crew/session.js',
  '/crew/signin.js',
  '/crew/common/i18n.js',
  '/crew/i18n/en.js',
  '/crew/i18n/zh-CN.js',
  '/crew/vendor/leaflet/leaflet.css',
  '/crew/vendor/leaflet/leaflet.js',
  '/crew/vendor/idb-keyval/index.js',
];
const NETWORK_FIRST = ['/api/v1/me/jobs', '/api/v1/grid/roads'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // 'reload' skips the HTTP cache: the new shell must not be built from old copies.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('crew-shell-') && n !== SHELL_CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NETWORK_FIRST.includes(url.pathname)) event.respondWith(networkFirst(request));
  else if (url.pathname.startsWith('/crew/')) event.respondWith(shellFirst(request, url));
});

async function shellFirst(request, url) {
  const cache = await caches.open(SHELL_CACHE);
  // Every page of the app is the one index.html (screens are #/ routes).
  const key = request.mode === 'navigate' || url.pathname === '/crew/index.html' ? '/crew/' : request;
  return (await cache.match(key, { ignoreSearch: request.mode === 'navigate' })) ?? fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request, { signal: AbortSignal.timeout(NETWORK_TIMEOUT_MS) });
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch {
    // A token changes at each sign-in: the last answer still fits whatever Authorization it had.
    const cached = await cache.match(request, { ignoreVary: true });
    return cached ?? Response.error();
  }
}
