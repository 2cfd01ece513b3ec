// What the outbox sends, kind by kind: a report, a suggestion (社情民意) or a delivery (送政策上门),
// each as multipart with its photos and the Idempotency-Key made at the tap; and the one way a
// screen sends an entry now, or learns it was kept for later.
import { api, NETWORK_MESSAGE } from './api.js';
import { FAILED } from './queue.js';
import { categoryName } from './reports.js';

const KINDS = {
  report: { path: () => '/reports', photoField: 'photos', label: (e) => categoryName(e.fields.category) },
  suggestion: { path: () => '/suggestions', photoField: 'photos', label: () => '建议' },
  delivery: { path: (e) => `/campaigns/${e.target}/deliveries`, photoField: 'photo',
    label: (e) => `送政策 ${e.fields.count} 份` },
};

function kindOf(entry) { return KINDS[entry.kind || 'report']; } // entries kept before kinds were reports

export function entryLabel(entry) { return kindOf(entry).label(entry); }

// How the outbox sends one entry: the Idempotency-Key made at the tap goes with every try.
export async function sendEntry(entry) {
  const kind = kindOf(entry);
  const form = new FormData();
  Object.entries(entry.fields).forEach(([name, value]) => {
    if (value !== null && value !== undefined && value !== '') form.append(name, value);
  });
  entry.photos.forEach((photo) => form.append(kind.photoField, photo.blob, photo.name));
  try {
    const result = await api(kind.path(entry), { method: 'POST', form, headers: { 'Idempotency-Key': entry.key } });
    return { outcome: 'sent', result };
  } catch (error) {
    // Network down, logged out, busy, or the first try still in progress: keep it and try again.
    const again = error.offline || error.status === 401 || error.status === 409 || error.status === 429
      || error.status >= 500;
    return { outcome: again ? 'retry' : 'failed', error: error.message, fields: error.fields };
  }
}

// Keep an entry and send what waits now: {sent: the server's answer} | {waiting: the kept entry,
// offline: true when the network was the reason} | {failed: {message, fields}} (refused as it stands:
// nothing is kept, the person fixes it).
export async function sendNow(app, { kind, target, fields, photos }) {
  const entry = await app.outbox.add({ owner: app.user.id, kind, target, fields, photos });
  await app.sendOutbox();
  const left = (await app.outbox.list(app.user.id)).find((e) => e.key === entry.key);
  if (!left) return { sent: app.outbox.sent.get(entry.key) };
  if (left.state === FAILED) {
    await app.outbox.remove(entry.key);
    return { failed: { message: left.error, fields: left.problems || {} } };
  }
  return { waiting: left, offline: !left.error || left.error === NETWORK_MESSAGE };
}
