// The rider's other two hats: 提建议 (社情民意: a suggestion with photos and, if they like, where they
// stand; then the secretary's answer) and 送政策 (the community's running campaigns; a delivery of
// leaflets with the phone's position and, if they like, a photo of the leaflet). Both go through the
// offline outbox with the Idempotency-Key made at the tap.
import { api } from './api.js';
import { WAITING } from './queue.js';
import {
  MAX_PHOTOS, outcomeOf, photoPicker, positionBlock, shrunkPhotos, waitingBanner, whyKept,
} from './rider.js';
import { sendNow } from './outbox.js';
import { busy, chinaTime, field, flash, h, latestDraw, screenFor, showApiError, showErrors } from './ui.js';

const CONTENT = [5, 1000];
const MAX_COUNT = 50;
// What would identify a household, refused before it leaves the phone (the server refuses it too).
const PERSONAL = /1[3-9]\d{9}|\d+\s*(号楼|栋|幢|单元|室|户)/;

// --- 提建议 ---------------------------------------------------------------------------------------

function suggestionStatus(s) {
  if (s.status !== 'replied') return h('span', { class: 'gs-badge ph-badge--open' }, '待答复');
  return s.adopted ? h('span', { class: 'gs-badge ph-badge--adopted' }, '已采纳')
    : h('span', { class: 'gs-badge ph-badge--replied' }, '已答复');
}

function suggestionCard(s) {
  return h('article', { class: 'gs-card ph-card' + (s.adopted ? ' ph-card--adopted' : ''), 'data-suggestion': s.id },
    h('div', { class: 'ph-card-head' }, h('span', { class: 'gs-muted' }, chinaTime(s.created_at)), suggestionStatus(s)),
    h('p', null, s.content),
    s.photos.length ? h('div', { class: 'ph-thumbs' }, s.photos.map((p) => h('a', { href: p.url, target: '_blank' },
      h('img', { src: p.thumbnail_url, alt: '建议照片' })))) : null,
    s.reply ? h('div', { class: 'ph-reply' }, h('strong', null, s.adopted ? '社区已采纳：' : '社区答复：'), s.reply) : null);
}

function suggestionForm(app, state, onSent) {
  const where = h('div', { class: 'ph-where' });
  const near = h('input', { type: 'checkbox', id: 'f-near', name: 'near' });
  near.addEventListener('change', () => {
    state.position = null;
    where.textContent = '';
    if (near.checked) where.append(positionBlock(state));
  });
  const form = h('form', { class: 'ph-form', novalidate: true },
    field('您的建议', h('textarea', { class: 'gs-input', id: 'f-content', name: 'content', maxlength: CONTENT[1],
      placeholder: '社区哪里可以更好？例如：福州街自行车道上划了停车位，建议取消。' }), '5到1000字，社区书记会答复。'),
    photoPicker({ max: MAX_PHOTOS, text: '附照片（可不附）', hint: `最多 ${MAX_PHOTOS} 张。` }),
    h('div', { class: 'gs-field', 'data-field': 'lat' },
      h('label', { class: 'ph-check', for: 'f-near' }, near, ' 附上我现在的位置'), where),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit', id: 'submit' }, '提交建议'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const content = form.content.value.trim();
    const errors = {};
    if (content.length < CONTENT[0]) errors.content = `请至少写${CONTENT[0]}个字，说清是什么、在哪里。`;
    if (form.photos.files.length > MAX_PHOTOS) errors.photos = `最多 ${MAX_PHOTOS} 张照片，请少选几张。`;
    if (near.checked && !state.position) errors.lat = '还没有定到位置：请允许定位，或不勾选“附上我现在的位置”。';
    if (Object.keys(errors).length) { showErrors(form, errors); return; }
    const done = busy(form.querySelector('#submit'), '正在提交…');
    try {
      const fields = { content };
      if (near.checked) Object.assign(fields, { lat: String(state.position.lat), lon: String(state.position.lon) });
      const outcome = outcomeOf(form, await sendNow(app, { kind: 'suggestion', fields, photos: await shrunkPhotos(form.photos) }));
      if (!outcome.failed) onSent(outcome);
    } catch (error) {
      showApiError(form, error);
    } finally {
      done();
    }
  });
  return form;
}

export async function suggestScreen(app) {
  const redraw = latestDraw(screenFor());
  const state = { position: null };
  const render = async (message = null) => {
    const draw = redraw();
    const kept = (await app.outbox.list(app.user.id)).filter((e) => e.kind === 'suggestion' && e.state === WAITING);
    const form = suggestionForm(app, state, (outcome) => render(outcome.sent
      ? flash('建议已提交，社区书记答复后会通知您。')
      : flash(`${whyKept(outcome)}，这条建议已保存在手机上，联网后自动发送，不会重复。`)));
    let list;
    try {
      const page = await api('/suggestions?per_page=50');
      list = page.items.length ? page.items.map(suggestionCard) : [h('p', { class: 'gs-muted' }, '还没有提过建议。')];
    } catch (error) {
      list = [flash(error.offline ? '现在离线：联网后显示社区的答复。' : error.message, 'error')];
    }
    draw('提建议', message, form,
      h('section', { id: 'suggestions' }, h('h2', null, '我的建议'),
        kept.map((e) => h('div', { class: 'gs-card ph-card ph-kept' }, h('span', { class: 'gs-badge ph-badge--open' }, '等待发送'),
          ' ', e.fields.content)),
        list));
  };
  await render();
  // Sent from the outbox, or the secretary replied: the list redraws, unless the rider is typing.
  const changed = () => { if (!(document.activeElement && document.activeElement.form)) render(); };
  ['gs:outbox', 'gs:notification'].forEach((name) => window.addEventListener(name, changed));
  return () => ['gs:outbox', 'gs:notification'].forEach((name) => window.removeEventListener(name, changed));
}

// --- 送政策 ---------------------------------------------------------------------------------------

function leafletLink(campaign) {
  const url = campaign.leaflet_url || (campaign.leaflet && campaign.leaflet.url);
  return url ? h('a', { class: 'gs-btn', href: url, target: '_blank', rel: 'noopener' }, '查看宣传单') : null;
}

function todayLine(campaign) {
  const today = campaign.today || { count: 0, credited: 0 };
  const full = today.credited >= campaign.daily_cap;
  return h('p', { class: 'ph-today', 'data-today': campaign.id },
    `今日已送 `, h('strong', { class: 'gs-num' }, String(today.count)), ' 份，计分 ',
    h('strong', { class: 'gs-num' }, `${today.credited}/${campaign.daily_cap}`), ' 份',
    full ? h('span', { class: 'gs-muted' }, '（今日计分已满，再送只记数量）') : null);
}

function campaignCard(campaign, { withButton = true } = {}) {
  return h('article', { class: 'gs-card', 'data-campaign': campaign.id },
    h('h2', null, campaign.title),
    h('p', null, campaign.body),
    h('p', { class: 'gs-muted' }, `每送一份得 ${campaign.points_per_delivery} 分 · 活动至 ${campaign.ends_on}`),
    todayLine(campaign),
    h('div', { class: 'gs-row' }, leafletLink(campaign),
      withButton ? h('a', { class: 'gs-btn gs-btn--primary', href: `#/campaign/${campaign.id}` }, '记录送达') : null));
}

const CAMPAIGNS_KEY = 'gridsnap.campaigns';

// The community's running campaigns; the last list read is kept so a delivery can be recorded offline.
async function runningCampaigns(app) {
  const key = `${CAMPAIGNS_KEY}.${app.user.id}`;
  try {
    const { items } = await api('/campaigns?per_page=50');
    localStorage.setItem(key, JSON.stringify(items));
    return items;
  } catch (error) {
    const kept = JSON.parse(localStorage.getItem(key) || 'null');
    if (error.offline && kept) return kept;
    throw error;
  }
}

export async function deliverScreen(app) {
  const draw = screenFor();
  const banner = waitingBanner((await app.outbox.list(app.user.id)).filter((e) => e.kind === 'delivery'));
  draw('送政策上门', h('p', { class: 'gs-muted' }, '正在读取…'));
  try {
    const items = await runningCampaigns(app);
    draw('送政策上门', banner,
      h('p', { class: 'gs-muted' }, '送外卖、快递时顺手把社区的宣传单交给居民，记一笔就有积分。不要记录居民的姓名、电话或门牌号。'),
      items.length ? items.map((c) => campaignCard(c)) : h('p', { class: 'gs-muted' }, '社区现在没有进行中的活动。'));
  } catch (error) {
    draw('送政策上门', banner, flash(error.offline ? '现在离线：联网后显示社区的活动。' : error.message, 'error'));
  }
}

function deliveryForm(app, campaign, state, onDone) {
  const form = h('form', { class: 'gs-card ph-form', novalidate: true },
    h('h2', null, '记录送达'),
    field('送出份数', h('input', { class: 'gs-input', id: 'f-count', name: 'count', type: 'number', inputmode: 'numeric',
      min: 1, max: MAX_COUNT, value: 1 }), `一次最多 ${MAX_COUNT} 份。`),
    positionBlock(state),
    field('备注（可不填）', h('input', { class: 'gs-input', id: 'f-note', name: 'note', maxlength: 200,
      placeholder: '例如：福州街菜市场门口' }), '只写大概地点，不写居民的姓名、电话或门牌号。'),
    photoPicker({ name: 'photo', max: 1, text: '拍一张宣传单（可不拍）', hint: '只拍宣传单，不拍人和门牌。' }),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit', id: 'submit' }, '记录送达'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const count = Number(form.count.value);
    const note = form.note.value.trim();
    const errors = {};
    if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) errors.count = `请填1到${MAX_COUNT}之间的整数。`;
    if (!state.position) errors.lat = '还没有定到位置：请允许定位后点“重新定位”。';
    if (PERSONAL.test(note)) errors.note = '备注里不要写居民的电话或门牌号。';
    if (form.photo.files.length > 1) errors.photo = '只能附一张照片。';
    if (Object.keys(errors).length) { showErrors(form, errors); return; }
    const done = busy(form.querySelector('#submit'), '正在记录…');
    try {
      const fields = { count: String(count), lat: String(state.position.lat), lon: String(state.position.lon), note };
      const outcome = outcomeOf(form, await sendNow(app, {
        kind: 'delivery', target: campaign.id, fields, photos: await shrunkPhotos(form.photo) }));
      if (!outcome.failed) onDone(outcome);
    } catch (error) {
      showApiError(form, error);
    } finally {
      done();
    }
  });
  return form;
}

function deliveredMessage(delivery) {
  const past = delivery.credited < delivery.count ? `（今日计分已满，${delivery.count - delivery.credited} 份只记数量）` : '';
  return flash(`已记录送出 ${delivery.count} 份，得 ${delivery.points} 分${past}。`);
}

export async function campaignScreen(app, { id }) {
  const redraw = latestDraw(screenFor());
  const state = { position: null };
  const render = async (message) => {
    const draw = redraw();
    let campaign;
    try {
      campaign = (await runningCampaigns(app)).find((c) => String(c.id) === String(id));
    } catch (error) {
      draw('记录送达', flash(error.offline ? '现在离线：联网后才能读取活动。' : error.message, 'error'));
      return;
    }
    if (!campaign) { draw('记录送达', flash('这个活动已结束或不存在。', 'error')); return; }
    draw(campaign.title, message, campaignCard(campaign, { withButton: false }),
      deliveryForm(app, campaign, state, (outcome) => {
        if (outcome.sent) render(deliveredMessage(outcome.sent));
        else render(flash(`${whyKept(outcome)}，这次送达已保存在手机上，联网后自动发送，不会重复记分。`));
      }));
  };
  await render(null);
  // A delivery kept on the phone went out: today's count and points change; not while the rider types.
  const onSent = (event) => {
    const typing = document.activeElement && document.activeElement.form;
    if (!typing && event.detail && event.detail.sent.length) render(flash('保存在手机上的记录已发送。'));
  };
  window.addEventListener('gs:outbox', onSent);
  return () => window.removeEventListener('gs:outbox', onSent);
}
