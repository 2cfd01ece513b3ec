// The grid worker's screens: on/off duty with the position sent only while on duty, the assigned
// reports as a live list, and a report's actions (接单, 退回, 上报指挥中心, 处置完成) with navigation.
import { act, api } from './api.js';
import { navigationLinks } from './maps.js';
import { shrinkPhoto } from './photos.js';
import { categoryName, reportCard, reportDetail } from './reports.js';
import { busy, chinaTime, currentPosition, field, flash, h, screenFor, showApiError, showErrors } from './ui.js';

const LOCATION_EVERY_MS = 60000;
const OPEN = ['assigned', 'accepted'];
let locationTimer = null;

async function sendLocation() {
  try {
    const { lat, lon, accuracy } = await currentPosition();
    await api('/me/location', { method: 'POST', json: { lat, lon, accuracy_m: Math.round(accuracy) } });
  } catch (error) { /* the next tick tries again */ }
}

// Position reports run only while on duty (and stop the moment the worker goes off duty).
export function keepSendingLocation(onDuty) {
  if (onDuty && locationTimer) return; // already running: a redraw must not push the next report back
  clearInterval(locationTimer);
  locationTimer = onDuty ? setInterval(sendLocation, LOCATION_EVERY_MS) : null;
}

// At start: resume sending the position if the server says this worker is on duty.
export function resumeDuty() {
  api('/me/duty').then((presence) => keepSendingLocation(presence.on_duty)).catch(() => {});
}

function dutyCard(presence, rerender) {
  const button = h('button', { class: 'gs-btn gs-btn--block ' + (presence.on_duty ? '' : 'gs-btn--primary'),
    type: 'button', id: 'duty' }, presence.on_duty ? '下班（停止接单）' : '上班（开始接单）');
  const card = h('section', { class: 'gs-card ph-duty' },
    h('p', null, presence.on_duty ? '在岗中：附近的上报会派给您' : '未在岗：不会收到新派单',
      presence.located_at && presence.on_duty ? h('span', { class: 'gs-muted' }, `，位置更新于 ${chinaTime(presence.located_at)}`) : null),
    button);
  button.addEventListener('click', async () => {
    const done = busy(button, '请稍候…');
    try {
      const json = { on_duty: !presence.on_duty };
      if (json.on_duty) {
        const { lat, lon, accuracy } = await currentPosition();
        Object.assign(json, { lat, lon, accuracy_m: Math.round(accuracy) });
      }
      const updated = await api('/me/duty', { method: 'PUT', json });
      keepSendingLocation(updated.on_duty);
      rerender();
    } catch (error) {
      done();
      card.querySelectorAll('.gs-error').forEach((n) => n.remove());
      card.append(h('div', { class: 'gs-error', role: 'alert' }, error.message));
    }
  });
  return card;
}

export async function tasksScreen(app) {
  const draw = screenFor();
  const render = async () => {
    try {
      const [presence, page] = await Promise.all([api('/me/duty'), api('/reports?mine=true&per_page=50')]);
      keepSendingLocation(presence.on_duty);
      const open = page.items.filter((r) => OPEN.includes(r.status));
      const waiting = open.filter((r) => r.status === 'assigned');
      const mine = open.filter((r) => r.status === 'accepted');
      const list = (items, empty) => (items.length ? items.map((r) => reportCard(r, `#/task/${r.id}`))
        : [h('p', { class: 'gs-muted' }, empty)]);
      draw('我的任务', dutyCard(presence, render),
        h('h2', null, `待接单（${waiting.length}）`), h('section', { id: 'assigned' }, list(waiting, '暂无新派单。')),
        h('h2', null, `处理中（${mine.length}）`), h('section', { id: 'accepted' }, list(mine, '暂无处理中的上报。')));
    } catch (error) {
      draw('我的任务', flash(error.message, 'error'));
    }
  };
  await render();
  // A new assignment (or any change to one) redraws the list: no reload needed.
  const onNotice = () => render();
  window.addEventListener('gs:notification', onNotice);
  return () => window.removeEventListener('gs:notification', onNotice);
}

// Declined or escalated: the report is no longer this worker's, so the list comes next.
function reasonForm(title, button, placeholder, send) {
  const form = h('form', { class: 'gs-card ph-form', novalidate: true },
    h('h2', null, title),
    field('原因', h('input', { class: 'gs-input', name: 'reason', maxlength: 500, placeholder })),
    h('button', { class: 'gs-btn gs-btn--block', type: 'submit' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = form.reason.value.trim();
    if (!reason) { showErrors(form, { reason: '请写明原因。' }); return; }
    await submitAction(form, () => send({ reason }), { handedOn: true });
  });
  return form;
}

function resolveForm(report) {
  const form = h('form', { class: 'gs-card ph-form', novalidate: true },
    h('h2', null, '处置完成'),
    h('div', { class: 'gs-field', 'data-field': 'photo' },
      h('label', { for: 'f-after', class: 'gs-btn gs-btn--block ph-camera' }, '拍处置后照片'),
      h('input', { class: 'ph-file', id: 'f-after', type: 'file', name: 'photo', accept: 'image/*', capture: 'environment',
        onchange: (event) => { event.target.previousSibling.textContent = '已拍 1 张，点此重拍'; } })),
    field('处置说明', h('textarea', { class: 'gs-input', name: 'note', maxlength: 500, placeholder: '做了什么' })),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit' }, '提交处置结果'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.photo.files.length) { showErrors(form, { photo: '请拍一张处置后的照片。' }); return; }
    const body = new FormData();
    const photo = await shrinkPhoto(form.photo.files[0]);
    body.append('photo', photo, photo.name || 'after.jpg');
    if (form.note.value.trim()) body.append('note', form.note.value.trim());
    await submitAction(form, () => act(`/reports/${report.id}/resolve`, { form: body }));
  });
  return form;
}

async function submitAction(form, call, { handedOn = false } = {}) {
  const done = busy(form.querySelector('button[type=submit]'), '正在提交…');
  try {
    await call();
    form.dispatchEvent(new CustomEvent('acted', { bubbles: true, detail: { handedOn } }));
  } catch (error) {
    showApiError(form, error);
  } finally {
    done();
  }
}

function actionsFor(app, report) {
  const post = (action) => (json) => act(`/reports/${report.id}/${action}`, { json });
  const nodes = [];
  if (report.actions.includes('accept')) {
    const accept = h('form', { class: 'ph-form' }, h('button', { class: 'gs-btn gs-btn--primary gs-btn--block',
      type: 'submit', id: 'accept' }, '接单'));
    accept.addEventListener('submit', (event) => { event.preventDefault(); submitAction(accept, post('accept')); });
    nodes.push(accept);
  }
  if (report.actions.includes('resolve')) nodes.push(resolveForm(report));
  const name = `${categoryName(report.category)} ${report.address || ''}`.trim();
  nodes.push(h('section', { class: 'gs-card ph-nav' }, h('h2', null, '导航到现场'),
    report.distance_m ? h('p', { class: 'gs-muted' }, `派单时距您约 ${Math.round(report.distance_m)} 米`) : null,
    navigationLinks({ lat: report.lat, lon: report.lon, name }).map((link) => h('a', {
      class: 'gs-btn gs-btn--block', href: link.href, 'data-app': link.app, rel: 'noopener' }, link.text))));
  if (report.actions.includes('decline')) {
    nodes.push(reasonForm('退回', '退回，派给别人', '例如：不在我的网格', post('decline')));
  }
  if (report.actions.includes('escalate')) {
    nodes.push(reasonForm('上报区指挥中心', '上报指挥中心', '例如：需要供电所处理', post('escalate')));
  }
  const box = h('div', { class: 'ph-actions' }, nodes);
  box.addEventListener('acted', (event) => {
    if (event.detail.handedOn) location.hash = '#/tasks';
    else workerReport(app, { id: report.id });
  });
  return box;
}

export function workerReport(app, { id }) {
  return reportDetail(app, id, (report) => actionsFor(app, report));
}
