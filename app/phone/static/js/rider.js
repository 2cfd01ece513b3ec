// The rider's screens: 上报 (through the offline outbox) with the way to the other hats, my reports
// and what waits to be sent, a report's timeline with evaluate and reopen, my points and the leaderboard.
import { act as actOn, api } from './api.js';
import { entryLabel, sendNow } from './outbox.js';
import { photoPosition, shrinkPhoto } from './photos.js';
import { FAILED, WAITING } from './queue.js';
import { categories, reportCard, reportDetail } from './reports.js';
import {
  badge, busy, chinaTime, currentPosition, field, fill, flash, h, orDash, screenFor, show, showApiError, showErrors,
} from './ui.js';

export const MAX_PHOTOS = 6;

function categoryPicker(list) {
  return h('fieldset', { class: 'gs-field ph-choices', 'data-field': 'category' },
    h('legend', null, '问题类型'),
    list.map((category) => h('label', { class: 'ph-choice' },
      h('input', { type: 'radio', name: 'category', value: category.code }),
      h('span', null, category.name_zh))));
}

// The camera/gallery button with previews. `name`: the form field; `max`: how many; `state`, when
// given, takes the first photo's GPS where the phone gives no position.
export function photoPicker({ name = 'photos', max = MAX_PHOTOS, text = '拍照或选照片', hint, state = null } = {}) {
  const input = h('input', { class: 'ph-file', id: 'f-' + name, type: 'file', name, accept: 'image/*',
    capture: 'environment', multiple: max > 1 });
  const previews = h('div', { class: 'ph-thumbs' });
  const button = h('label', { for: 'f-' + name, class: 'gs-btn gs-btn--block ph-camera' }, text);
  input.addEventListener('change', () => {
    button.textContent = input.files.length ? `已选 ${input.files.length} 张，点此重选` : text;
    if (state && !state.position && input.files.length) {
      photoPosition(input.files[0]).then((found) => { if (found && !state.position) state.usePhotoPosition(found); });
    }
    fill(previews, Array.from(input.files).slice(0, max).map((file) => {
      const image = h('img', { alt: '已选照片' });
      image.src = URL.createObjectURL(file);
      image.onload = () => URL.revokeObjectURL(image.src);
      return image;
    }));
  });
  return h('div', { class: 'gs-field', 'data-field': name }, button, input, previews,
    hint ? h('div', { class: 'gs-hint' }, hint) : null);
}

// The photos of a file input, shrunk on the phone, as the outbox keeps them.
export async function shrunkPhotos(input) {
  const photos = [];
  for (const file of Array.from(input.files)) {
    const blob = await shrinkPhoto(file);
    photos.push({ blob, name: blob.name || file.name || 'photo.jpg' });
  }
  return photos;
}

// The phone's position, located at once and again on a tap (into state.position), with the place's
// name when the network gives it.
export function positionBlock(state) {
  const text = h('p', { class: 'ph-position', id: 'position' }, '正在定位…');
  const retry = h('button', { class: 'gs-btn', type: 'button' }, '重新定位');
  const locate = async () => {
    text.textContent = '正在定位…';
    try {
      state.position = await currentPosition();
      const { lat, lon, accuracy } = state.position;
      text.textContent = `已定位：北纬 ${lat.toFixed(5)}，东经 ${lon.toFixed(5)}（误差约 ${Math.round(accuracy)} 米）`;
      api(`/areas/locate?lat=${lat}&lon=${lon}`).then(({ areas }) => {
        if (areas.length) text.textContent += `，${areas.map((a) => a.name).reverse().slice(-2).join(' ')}`;
      }).catch(() => {});
    } catch (error) {
      state.position = null;
      text.textContent = error.message + ' 也可以拍一张带位置信息的照片，用照片里的位置。';
    }
  };
  state.usePhotoPosition = ({ lat, lon }) => {
    state.position = { lat, lon, accuracy: null };
    text.textContent = `手机没有定位，用照片里的位置：北纬 ${lat.toFixed(5)}，东经 ${lon.toFixed(5)}`;
  };
  retry.addEventListener('click', locate);
  locate();
  return h('div', { class: 'gs-field', 'data-field': 'lat' }, h('label', null, '位置'), text, retry);
}

function reportProblems(form, state) {
  const errors = {};
  if (!form.querySelector('input[name=category]:checked')) errors.category = '请选择问题类型。';
  const count = form.photos.files.length;
  if (!count) errors.photos = '请至少拍一张照片。';
  if (count > MAX_PHOTOS) errors.photos = `最多 ${MAX_PHOTOS} 张照片，请少选几张。`;
  if (!state.position) errors.lat = '还没有定到位置：请允许定位后点“重新定位”。';
  if (form.description.value.length > 500) errors.description = '描述最多500字。';
  if (form.address.value.length > 200) errors.address = '地址最多200字。';
  return errors;
}

async function capture(form, state) {
  const fields = {
    category: form.querySelector('input[name=category]:checked').value,
    lat: String(state.position.lat), lon: String(state.position.lon),
    description: form.description.value.trim(), address: form.address.value.trim(),
    captured_at: new Date().toISOString(),
  };
  return { fields, photos: await shrunkPhotos(form.photos) };
}

// Kept for later: why, in a line (the network, or what the server said).
export function whyKept(outcome) {
  return outcome.offline ? '现在网络不通' : `暂时没能发送（${outcome.waiting.error}）`;
}

function afterSubmit(outcome) {
  const report = outcome.sent;
  if (report) {
    const who = report.assigned_to ? `，已派给网格员${report.assigned_to.name}` : '';
    show('上报成功', flash(`已上报，编号 ${report.id}${who}。`), h('p', null, '状态：', badge(report)),
      h('a', { class: 'gs-btn gs-btn--primary gs-btn--block', href: '#/new?again=' + Date.now() }, '再报一件'),
      h('a', { class: 'gs-btn gs-btn--block', href: `#/report/${report.id}` }, '查看进度'));
  } else {
    show('已保存', flash(`${whyKept(outcome)}，这条上报已保存在手机上，稍后会自动发送，不会重复。`),
      h('a', { class: 'gs-btn gs-btn--primary gs-btn--block', href: '#/new?again=' + Date.now() }, '再报一件'),
      h('a', { class: 'gs-btn gs-btn--block', href: '#/mine' }, '查看等待发送的上报'));
  }
}

// The way from the home screen to the rider's other hats and to the nearest 红色驿站.
function hatsNav() {
  return h('nav', { class: 'ph-hats', 'aria-label': '更多' },
    h('a', { class: 'gs-btn', href: '#/suggest' }, '提建议'),
    h('a', { class: 'gs-btn', href: '#/deliver' }, '送政策'),
    h('a', { class: 'gs-btn', href: '#/stations' }, '红色驿站'));
}

// What a screen shows once an entry went through the outbox: sent, kept for later, or refused.
export function outcomeOf(form, outcome) {
  if (outcome.failed) showErrors(form, outcome.failed.fields, Object.keys(outcome.failed.fields).length ? null : outcome.failed.message);
  return outcome;
}

export async function reportScreen(app) {
  const state = { position: null };
  const list = await categories();
  const form = h('form', { class: 'ph-form', novalidate: true },
    waitingBanner(await app.outbox.list(app.user.id)),
    categoryPicker(list),
    photoPicker({ state, hint: `1 到 ${MAX_PHOTOS} 张；上传前在手机上压缩，省流量。` }), positionBlock(state),
    field('地址补充', h('input', { class: 'gs-input', id: 'f-address', name: 'address', maxlength: 200,
      placeholder: '例如：3号楼2单元门口' }), '定位不准时，写清楼栋、门牌，方便网格员找到。'),
    field('描述', h('textarea', { class: 'gs-input', id: 'f-description', name: 'description', maxlength: 500,
      placeholder: '看到了什么？（可不填）' })),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit', id: 'submit' }, '上报'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = reportProblems(form, state);
    if (Object.keys(errors).length) { showErrors(form, errors); return; }
    const done = busy(form.querySelector('#submit'), '正在压缩照片…');
    try {
      const captured = await capture(form, state);
      form.querySelector('#submit').textContent = '正在上报…';
      const outcome = outcomeOf(form, await sendNow(app, { kind: 'report', ...captured }));
      if (!outcome.failed) afterSubmit(outcome);
    } catch (error) {
      showApiError(form, error);
    } finally {
      done();
    }
  });
  show('随手拍上报', hatsNav(), form);
}

export function waitingBanner(entries) {
  const waiting = entries.filter((e) => e.state === WAITING).length;
  return waiting ? h('a', { class: 'gs-flash ph-waiting', href: '#/mine' },
    `有 ${waiting} 条等待网络，联网后自动发送。`) : null;
}

function waitingList(app, entries) {
  if (!entries.length) return null;
  return h('section', { class: 'gs-card ph-outbox', id: 'outbox' },
    h('h2', null, `等待发送（${entries.length}）`),
    entries.map((entry) => h('div', { class: 'ph-item', 'data-key': entry.key },
      h('div', null, h('strong', null, entryLabel(entry)), ' ',
        h('span', { class: 'gs-muted' }, `记于 ${chinaTime(entry.created_at)}`)),
      entry.state === FAILED
        ? h('div', null, h('span', { class: 'gs-error' }, `发送失败：${entry.error}`), ' ',
          h('button', { class: 'gs-btn gs-btn--danger', type: 'button', onclick: async () => {
            await app.outbox.remove(entry.key);
            drawMine(app);
          } }, '删除'))
        : h('div', { class: 'gs-muted' }, entry.attempts ? `等待网络，已试 ${entry.attempts} 次` : '等待网络'))));
}

// Redraw a screen when a notification or the outbox says something changed; answers the cleanup.
function redrawOn(draw) {
  const events = ['gs:notification', 'gs:outbox'];
  events.forEach((name) => window.addEventListener(name, draw));
  return () => events.forEach((name) => window.removeEventListener(name, draw));
}

export async function mineScreen(app) {
  await drawMine(app);
  return redrawOn(() => drawMine(app));
}

async function drawMine(app) {
  const draw = screenFor();
  const entries = await app.outbox.list(app.user.id);
  draw('我的上报', waitingList(app, entries), h('p', { class: 'gs-muted' }, '正在读取…'));
  try {
    const page = await api('/reports?per_page=50');
    const items = page.items.length ? page.items.map((report) => reportCard(report, `#/report/${report.id}`))
      : [h('p', { class: 'gs-muted' }, '还没有上报。看到隐患，点“上报”拍一张。')];
    draw('我的上报', waitingList(app, entries), h('section', { id: 'reports' }, items));
  } catch (error) {
    const text = error.offline ? '现在离线：联网后显示各条上报的最新进度。' : error.message;
    draw('我的上报', waitingList(app, entries), flash(text, 'error'));
  }
}

function ratingForm(app, report) {
  const form = h('form', { class: 'gs-card ph-form', novalidate: true },
    h('h2', null, '处置满意吗？'),
    h('div', { class: 'gs-field ph-stars', 'data-field': 'rating' }, [1, 2, 3, 4, 5].map((n) => h('label', null,
      h('input', { type: 'radio', name: 'rating', value: n }), h('span', null, `${n}星`)))),
    field('评价（可不填）', h('input', { class: 'gs-input', id: 'f-comment', name: 'comment', maxlength: 500 })),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit' }, '提交评价'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = form.querySelector('input[name=rating]:checked');
    if (!chosen) { showErrors(form, { rating: '请选1到5星。' }); return; }
    const json = { rating: Number(chosen.value) };
    if (form.comment.value.trim()) json.comment = form.comment.value.trim();
    await act(form, () => actOn(`/reports/${report.id}/evaluate`, { json }), app, report.id);
  });
  return form;
}

function reopenForm(app, report) {
  const form = h('form', { class: 'gs-card ph-form', novalidate: true },
    h('h2', null, '问题还在？'),
    field('原因', h('input', { class: 'gs-input', id: 'f-reason', name: 'reason', maxlength: 500,
      placeholder: '例如：电线又拉上了' })),
    h('button', { class: 'gs-btn gs-btn--block', type: 'submit' }, '重新打开'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const reason = form.reason.value.trim();
    if (!reason) { showErrors(form, { reason: '请写一句原因，网格员会看到。' }); return; }
    await act(form, () => actOn(`/reports/${report.id}/reopen`, { json: { reason } }), app, report.id);
  });
  return form;
}

async function act(form, call, app, id) {
  const done = busy(form.querySelector('button[type=submit]'), '正在提交…');
  try {
    await call();
    drawReport(app, id);
  } catch (error) {
    showApiError(form, error);
  } finally {
    done();
  }
}

function drawReport(app, id) {
  return reportDetail(app, id, (report) => [
    report.actions.includes('evaluate') ? ratingForm(app, report) : null,
    report.actions.includes('reopen') ? reopenForm(app, report) : null,
  ]);
}

export async function riderReport(app, { id }) {
  await drawReport(app, id);
  // A change to this report (the worker accepted or fixed it) redraws it; not while the rider types.
  const onNotice = (event) => {
    const typing = document.activeElement && document.activeElement.form;
    if (event.detail.report_id === Number(id) && !typing) drawReport(app, id);
  };
  window.addEventListener('gs:notification', onNotice);
  return () => window.removeEventListener('gs:notification', onNotice);
}

export async function pointsScreen() {
  show('我的积分', h('p', { class: 'gs-muted' }, '正在读取…'));
  try {
    const points = await api('/me/points?per_page=20');
    const next = points.level.next_at ? `，再得 ${points.level.next_at - points.balance} 分升级` : '';
    show('我的积分', h('section', { class: 'gs-card ph-points' },
      h('div', { class: 'ph-big gs-num', id: 'balance' }, String(points.balance)), h('div', null, '荣誉积分'),
      h('p', null, `等级：${points.level.name_zh}${next}`),
      h('p', null, `本月 ${points.month_points} 分 · 社区排名 ${orDash(points.rank.community)} · 总排名 ${orDash(points.rank.overall)}`)),
    h('a', { class: 'gs-btn gs-btn--block', href: '#/board' }, '看排行榜'),
    h('section', { class: 'gs-card' }, h('h2', null, '积分明细'), points.entries.length
      ? points.entries.map((e) => h('div', { class: 'ph-item' },
        h('strong', { class: 'gs-num' }, e.delta > 0 ? `+${e.delta}` : String(e.delta)), ' ',
        (e.reason_text && e.reason_text.zh) || e.reason, ' ',
        h('span', { class: 'gs-muted' }, chinaTime(e.at))))
      : h('p', { class: 'gs-muted' }, '上报的隐患经核实后就有积分。')));
  } catch (error) {
    show('我的积分', flash(error.message, 'error'));
  }
}

const PERIODS = [['week', '本周'], ['month', '本月'], ['year', '本年'], ['all', '总榜']];

export async function boardScreen(app, { period = 'month' }) {
  const tabs = h('div', { class: 'ph-segments' }, PERIODS.map(([value, text]) => h('a', {
    class: 'gs-btn' + (value === period ? ' gs-btn--primary' : ''), href: `#/board/${value}` }, text)));
  show('排行榜', tabs, h('p', { class: 'gs-muted' }, '正在读取…'));
  try {
    const board = await api(`/leaderboards?scope=community&period=${period}&limit=50`);
    const row = (r, mine) => h('tr', { class: mine ? 'ph-me' : null },
      h('td', { class: 'gs-num' }, orDash(r.rank)), h('td', null, r.rider.name),
      h('td', { class: 'gs-num' }, r.points), h('td', { class: 'gs-num' }, r.valid_reports));
    show('排行榜', tabs,
      board.me ? h('p', null, `我的排名：${orDash(board.me.rank, '暂无')}，${board.me.points} 分`) : null,
      h('table', { class: 'gs-table' }, h('thead', null, h('tr', null, h('th', null, '名次'), h('th', null, '骑手'),
        h('th', { class: 'gs-num' }, '积分'), h('th', { class: 'gs-num' }, '有效上报'))),
      h('tbody', null, board.rows.map((r) => row(r, board.me && r.rider.id === board.me.rider.id)))));
  } catch (error) {
    show('排行榜', tabs, flash(error.message, 'error'));
  }
}
