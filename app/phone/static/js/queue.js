// The offline outbox: what a rider sends (reports, suggestions, deliveries) kept on the phone
// (IndexedDB) until the server has it. Each keeps the Idempotency-Key made when the rider tapped the
// button, so however often it is sent, and across reloads, the server stores it once.
const STORE = 'outbox';
const VERSION = 1;

export const WAITING = 'waiting'; // to be sent (again) when the network allows
export const FAILED = 'failed';   // the server refused it for good; the rider sees why and may delete it

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function openOutbox(name = 'gridsnap') {
  const request = indexedDB.open(name, VERSION);
  request.onupgradeneeded = () => {
    request.result.createObjectStore(STORE, { keyPath: 'key' }).createIndex('created_at', 'created_at');
  };
  return new Outbox(await promised(request), name);
}

export class Outbox {
  constructor(db, name) {
    this.db = db;
    this.name = name;
    this.flushing = null;
    this.sent = new Map(); // key → what send() answered for it, for the page that is waiting on it
  }

  async write(fn) {
    const tx = this.db.transaction(STORE, 'readwrite');
    const result = fn(tx.objectStore(STORE));
    await done(tx);
    return result;
  }

  // Keep an entry: {owner, kind, target, fields, photos: [{blob, name}]} → the stored entry with its
  // key. `kind` says what it is ('report', 'suggestion', 'delivery'), `target` what it is for (a campaign).
  async add({ owner, kind = 'report', target = null, fields, photos, key = newKey() }) {
    const entry = { key, owner, kind, target, fields, photos, created_at: new Date().toISOString(), state: WAITING,
      attempts: 0, error: null, problems: null };
    await this.write((store) => store.add(entry));
    return entry;
  }

  // Entries, oldest first; only `owner`'s when given.
  async list(owner) {
    const tx = this.db.transaction(STORE, 'readonly');
    const all = await promised(tx.objectStore(STORE).index('created_at').getAll());
    return owner === undefined ? all : all.filter((entry) => entry.owner === owner);
  }

  async remove(key) { await this.write((store) => store.delete(key)); }

  async patch(key, changes) {
    const tx = this.db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const entry = await promised(store.get(key));
    if (entry) store.put({ ...entry, ...changes });
    await done(tx);
  }

  // Send each waiting entry of `owner`, oldest first, through `send(entry)`, which answers
  // {outcome: 'sent' | 'retry' | 'failed', error?, fields?} (fields: the server's word on each field). Sent entries are removed; the first 'retry'
  // stops the round (the network is down). One round at a time per page, and per phone where the
  // browser has Web Locks, so two tabs never send the same entry side by side.
  flush(send, { owner } = {}) {
    if (this.flushing) { // a round is under way: run another after it, for entries added meanwhile
      return this.flushing.then(() => this.flush(send, { owner }));
    }
    const round = () => this.round(send, owner);
    const locked = navigator.locks ? navigator.locks.request('gridsnap-outbox:' + this.name, round) : round();
    this.flushing = locked.finally(() => { this.flushing = null; });
    return this.flushing;
  }

  async round(send, owner) {
    const report = { sent: [], waiting: 0, failed: 0 };
    const entries = (await this.list(owner)).filter((entry) => entry.state === WAITING);
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i];
      let result;
      try {
        result = await send(entry);
      } catch (e) {
        result = { outcome: 'retry', error: String(e && e.message || e) };
      }
      if (result.outcome === 'sent') {
        await this.remove(entry.key);
        this.sent.set(entry.key, result.result);
        report.sent.push({ key: entry.key, result: result.result });
      } else if (result.outcome === 'failed') {
        await this.patch(entry.key, { state: FAILED, error: result.error, problems: result.fields || null,
          attempts: entry.attempts + 1 });
        report.failed += 1;
      } else {
        await this.patch(entry.key, { error: result.error || null, attempts: entry.attempts + 1 });
        report.waiting = entries.length - i;
        break;
      }
    }
    return report;
  }
}
