// The field app's service worker: keeps the app shell (the page, its scripts, styles and icons) so the app opens
// with no connection. API calls are never cached or answered here: the app's own offline queue handles them.
const CACHE = 'tidewatch-field-shell-v1';
const SHELL = '/field/';

/** The page and every same-origin script, style and icon it names. */
async function shellUrls() {
  const response = await fetch(SHELL, { cache: 'no-cache' });
  const html = await response.text();
  const urls = new Set([SHELL, '/field/manifest.webmanifest', '/field/icon-192.png', '/field/icon-512.png']);
  const base = new URL(SHELL, self.location.origin);
  for (const match of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const url = new URL(match[1], base);
    if (url.origin === base.origin) urls.add(url.pathname);
  }
  return [...urls];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(await shellUrls());
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

/** The network first for the page (a new release shows at once), the cache when there is none. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(SHELL, response.clone());
    return response;
  } catch {
    return (await cache.match(SHELL)) ?? Response.error();
  }
}

/** Scripts and styles carry a hash in their names: the cached copy is the right one. */
async function asset(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/socket.io/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/field')) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/field/')) {
    event.respondWith(asset(request));
  }
});
