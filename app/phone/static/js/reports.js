// What riders and grid workers both see of a report: category names, a list card, the detail with
// photos and timeline (statuses in Chinese as the API names them).
import { api } from './api.js';
import { badge, chinaTime, flash, h, screenFor } from './ui.js';

const CATEGORIES_KEY = 'gridsnap.categories';

let fetched = null; // once per page load: categories change rarely

// Categories from the API; the last list fetched is kept so a rider can report offline.
export async function categories() {
  try {
    fetched = fetched || api('/categories', { auth: false });
    const list = await fetched;
    localStorage.setItem(CATEGORIES_KEY, JSON.stringify(list));
    return list;
  } catch (error) {
    fetched = null;
    const kept = JSON.parse(localStorage.getItem(CATEGORIES_KEY) || 'null');
    if (kept) return kept;
    throw error;
  }
}

export function categoryName(code) {
  const kept = JSON.parse(localStorage.getItem(CATEGORIES_KEY) || '[]');
  const found = kept.find((c) => c.code === code);
  return found ? found.name_zh : code;
}

export function reportCard(report, href) {
  return h('a', { class: 'gs-card ph-card', href, 'data-report': report.id },
    h('div', { class: 'ph-card-head' }, h('strong', null, categoryName(report.category)), badge(report)),
    h('div', { class: 'gs-muted' }, `#${report.id} · ${chinaTime(report.created_at)}`),
    report.address || report.description ? h('div', null, report.address || report.description) : null);
}

function timeline(events) {
  return h('ol', { class: 'ph-timeline' }, events.map((e) => h('li', null,
    h('div', null, h('strong', null, e.to_status_text || e.to_status), ' ',
      h('span', { class: 'gs-muted' }, chinaTime(e.at))),
    h('div', { class: 'gs-muted' }, [e.action_text, e.actor && e.actor.name].filter(Boolean).join(' · ')),
    e.note ? h('div', null, e.note) : null,
    e.photo ? h('a', { href: e.photo.url, target: '_blank' }, h('img', { class: 'ph-thumb', src: e.photo.thumbnail_url, alt: '处置照片' })) : null)));
}

// The report with id, then whatever `extras(report)` adds (the actions this person may take).
export async function reportDetail(app, id, extras) {
  const draw = screenFor();
  draw(`上报 #${id}`, h('p', { class: 'gs-muted' }, '正在读取…'));
  let report;
  try {
    report = await api(`/reports/${id}`);
  } catch (error) {
    draw(`上报 #${id}`, flash(error.message, 'error'));
    return;
  }
  draw(`上报 #${id}`,
    h('section', { class: 'gs-card', id: 'report' },
      h('div', { class: 'ph-card-head' }, h('strong', null, categoryName(report.category)), badge(report)),
      h('div', { class: 'gs-muted' }, `上报于 ${chinaTime(report.created_at)}`),
      report.address ? h('p', null, report.address) : null,
      report.description ? h('p', null, report.description) : null,
      report.assigned_to ? h('p', null, `网格员：${report.assigned_to.name}`) : null,
      report.rating ? h('p', null, `评价：${report.rating} 星`) : null,
      h('div', { class: 'ph-thumbs' }, report.photos.map((p) => h('a', { href: p.url, target: '_blank' },
        h('img', { src: p.thumbnail_url, alt: '现场照片' }))))),
    extras(report),
    h('section', { class: 'gs-card' }, h('h2', null, '进度'), timeline(report.timeline || [])));
}
