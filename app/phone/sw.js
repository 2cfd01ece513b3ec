// GridSnap phone app service worker: the app shell from a cache so the app opens without a network;
// the API always from the network (never a stale answer from a cache); Web Push shown as notifications.
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = 'gridsnap-shell-' + VERSION;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('gridsnap-shell-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return; // the network only
  if (event.request.mode === 'navigate' && url.pathname.startsWith('/app/')) {
    event.respondWith(caches.match('/app/').then((page) => page || fetch(event.request)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit || fetch(event.request)));
  }
});

self.addEventListener('push', (event) => {
  let notice = {};
  try { notice = event.data ? event.data.json() : {}; } catch (e) { notice = { title: event.data.text() }; }
  const target = notice.report_id ? `/app/#/open/${notice.report_id}` : '/app/#/notices';
  event.waitUntil(self.registration.showNotification(notice.title || '网格随手拍', {
    body: notice.body || '', tag: notice.id ? 'n' + notice.id : undefined, icon: '/app/static/icons/icon-192.png',
    data: { url: target },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/app/';
  event.waitUntil(self.clients.matchAll({ type: 'window' }).then((windows) => {
    const open = windows.find((w) => new URL(w.url).pathname.startsWith('/app/'));
    if (open) return open.navigate(url).then((w) => w && w.focus());
    return self.clients.openWindow(url);
  }));
});
