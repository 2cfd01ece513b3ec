// Notifications while the app is open: a Server-Sent Events stream, a catch-up poll (?after=) on
// start and on every return to the foreground, de-duplicated by id; each one is announced to the
// screens as a 'gs:notification' event and kept for the in-app list.
import { accessToken, api } from './api.js';

const KINDS = ['assigned', 'status_changed', 'escalated', 'dispatched', 'deadline_missed', 'resolution', 'report'];
const KEEP = 50;
const RECONNECT_MS = 1000; // after a stream ends (every few minutes) or drops

export class Live {
  constructor(userId) {
    this.key = 'gridsnap.notices.' + userId;
    const kept = JSON.parse(localStorage.getItem(this.key) || '{"items": [], "last": 0}');
    this.items = kept.items;
    this.last = kept.last;
    this.ids = new Set(this.items.map((n) => n.id));
    this.stream = null;
    this.timer = null;
    this.stopped = false;
    this.onVisible = () => (document.hidden ? this.close() : this.resume());
  }

  start() {
    document.addEventListener('visibilitychange', this.onVisible);
    window.addEventListener('online', this.onVisible);
    return this.resume();
  }

  stop() {
    this.stopped = true;
    document.removeEventListener('visibilitychange', this.onVisible);
    window.removeEventListener('online', this.onVisible);
    this.close();
  }

  close() {
    clearTimeout(this.timer);
    if (this.stream) this.stream.close();
    this.stream = null;
  }

  async resume() {
    if (this.stopped || document.hidden) return;
    await this.catchUp();
    this.open();
  }

  // Everything after the last id seen, page by page, until the server has no more.
  async catchUp() {
    try {
      for (;;) {
        const { items } = await api(`/notifications?after=${this.last}&limit=100`);
        items.forEach((n) => this.receive(n));
        if (items.length < 100) return;
      }
    } catch (error) { /* offline: the stream or the next resume catches up */ }
  }

  async open() {
    if (this.stopped || this.stream || document.hidden) return;
    let token;
    try { token = await accessToken(); } catch (error) { this.retry(); return; }
    if (this.stopped || this.stream) return;
    const stream = new EventSource(`/api/v1/notifications/stream?access_token=${encodeURIComponent(token)}&after=${this.last}`);
    const handle = (event) => { try { this.receive(JSON.parse(event.data)); } catch (e) { /* not ours */ } };
    KINDS.forEach((kind) => stream.addEventListener(kind, handle));
    stream.addEventListener('message', handle);
    // The stream ends every few minutes and the token ages: reopen with a fresh token after a catch-up.
    stream.onerror = () => { stream.close(); if (this.stream === stream) { this.stream = null; this.retry(); } };
    this.stream = stream;
  }

  retry() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.resume(), RECONNECT_MS);
  }

  receive(notice) {
    if (!notice || this.ids.has(notice.id)) return; // every channel is at-least-once
    this.ids.add(notice.id);
    this.last = Math.max(this.last, notice.id);
    this.items = [notice, ...this.items].sort((a, b) => b.id - a.id).slice(0, KEEP);
    localStorage.setItem(this.key, JSON.stringify({ items: this.items, last: this.last }));
    window.dispatchEvent(new CustomEvent('gs:notification', { detail: notice }));
  }

  // Tell the server the person has seen these (stops the SMS fallback); older servers answer 404.
  async seen() {
    if (!this.last) return;
    try {
      await api('/notifications/seen', { method: 'POST', json: { up_to_id: this.last } });
    } catch (error) { /* 404 before that endpoint exists, or offline: the next showing says it again */ }
  }
}
