// The grid worker app's service worker: keeps the app's files so that it
// opens without a network. Reports and visits made offline wait in the
// page's IndexedDB outbox (js/queue.js), which the page sends when the
// network returns. Version {{VERSION}}.
const CACHE = 'wangge-{{VERSION}}'
const ASSETS = {{ASSETS}}

self.addEventListener('install', e => {
  e.waitUntil(caches.open(CACHE).then(c => c.addAll(['/m/', ...ASSETS])).then(() => self.skipWaiting()))
})

self.addEventListener('activate', e => {
  e.waitUntil(caches.keys().then(keys => Promise.all(keys.filter(k => k.startsWith('wangge-') && k !== CACHE).map(k => caches.delete(k))))
    .then(() => self.clients.claim()))
})

self.addEventListener('fetch', e => {
  const url = new URL(e.request.url)
  if (e.request.method !== 'GET' || url.origin !== location.origin) return
  if (url.pathname.startsWith('/static/')) {
    // Versioned files never change: the cache first.
    e.respondWith(caches.match(e.request).then(hit => hit || fetch(e.request)))
  } else if (url.pathname === '/m/' || url.pathname === '/m/index.html') {
    // The page: the network first, so that a new version arrives.
    e.respondWith(fetch(e.request).then(resp => {
      const copy = resp.clone()
      caches.open(CACHE).then(c => c.put('/m/', copy))
      return resp
    }).catch(() => caches.match('/m/')))
  }
})
