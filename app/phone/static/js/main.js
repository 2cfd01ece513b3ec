// The app's start: service worker, session, the role's screens (from GET /me), hash routes, tabs,
// the outbox sender and the live notifications.
import { api, saveSession, session, whenLoggedOut } from './api.js';
import { accountScreen, loginScreen, registerScreen } from './account.js';
import { Live } from './live.js';
import { disablePush, enablePush, pushSupported, renewPush } from './push.js';
import { campaignScreen, deliverScreen, suggestScreen } from './hats.js';
import { sendEntry } from './outbox.js';
import { openOutbox, WAITING } from './queue.js';
import { categories } from './reports.js';
import { boardScreen, mineScreen, pointsScreen, reportScreen, riderReport } from './rider.js';
import { stationsScreen } from './stations.js';
import { chinaTime, fill, flash, h, routed, show } from './ui.js';
import { keepSendingLocation, resumeDuty, tasksScreen, workerReport } from './worker.js';

const RETRY_MS = 20000;
const app = { user: null, outbox: null, live: null, leave: null, message: null };

const SCREENS = {
  rider: { home: 'new', new: reportScreen, mine: mineScreen, report: riderReport, open: riderReport,
    points: pointsScreen, board: boardScreen, notices: noticesScreen, account: account,
    suggest: suggestScreen, deliver: deliverScreen, campaign: campaignScreen, stations: stationsScreen },
  grid_worker: { home: 'tasks', tasks: tasksScreen, task: workerReport, open: workerReport,
    notices: noticesScreen, account: account, stations: stationsScreen },
};
const TABS = {
  rider: [['new', '上报'], ['mine', '记录'], ['points', '积分'], ['notices', '消息'], ['account', '我的']],
  grid_worker: [['tasks', '任务'], ['notices', '消息'], ['account', '我的']],
};

// Screens under a tab light that tab.
const TAB_OF = { report: 'mine', board: 'points', task: 'tasks', open: 'notices', suggest: 'new', deliver: 'new',
  campaign: 'new' };
// Where a screen's back arrow leads, for the screens that have one.
const BACK_TO = { report: '#/mine', open: '#/mine', board: '#/points', task: '#/tasks', suggest: '#/new',
  deliver: '#/new', campaign: '#/deliver', stations: null };

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, arg] = path.split('/');
  return { name, arg, query: new URLSearchParams(query || '') };
}

function drawTabs(role, current) {
  const nav = document.getElementById('tabs');
  const tabs = TABS[role] || [];
  nav.hidden = !tabs.length;
  fill(nav, tabs.map(([name, text]) => h('a', {
    href: `#/${name}`, class: name === current ? 'ph-tab ph-tab--on' : 'ph-tab', 'aria-current': name === current ? 'page' : null,
  }, text)));
}

async function loggedIn(user) {
  app.user = user;
  app.message = null;
  await categories().catch(() => {}); // names for every list; kept for offline use
  startServices();
  const target = '#/' + ((SCREENS[user.role] || {}).home || 'account');
  if (location.hash === target) route();
  else location.hash = target;
}

async function route() {
  if (app.leave) { app.leave(); app.leave = null; }
  routed();
  const { name, arg, query } = parseHash();
  const back = document.getElementById('back');
  back.hidden = !(name in BACK_TO);
  if (!app.user) {
    drawTabs(null);
    const invite = new URLSearchParams(location.search).get('invite');
    if (name === 'register' || (invite && name !== 'login')) registerScreen({ invite, onLoggedIn: loggedIn });
    else loginScreen({ message: app.message, onLoggedIn: loggedIn });
    return;
  }
  const screens = SCREENS[app.user.role];
  if (!screens) { notForPhone(); return; }
  const screen = screens[name] || screens[screens.home];
  back.hidden = !(name in BACK_TO && screens[name]); // a screen of another role's app falls back to home
  back.href = (name === 'open' && app.user.role !== 'rider' ? '#/tasks' : BACK_TO[name]) || '#/' + screens.home;
  drawTabs(app.user.role, TAB_OF[name] || (screens[name] ? name : screens.home));
  const hash = location.hash;
  const leave = await screen(app, name === 'board' ? { period: arg || 'month' } : { id: arg, query });
  if (typeof leave !== 'function') return;
  if (location.hash === hash) app.leave = leave;
  else leave(); // the person moved on while this screen loaded
}

function notForPhone() {
  drawTabs(null);
  accountScreen({ user: app.user, onLoggedOut: stopServices, extra: [
    flash('本应用供骑手和网格员使用。社区书记、指挥中心和职能部门请在电脑上打开工作台。', 'error'),
    h('a', { class: 'gs-btn gs-btn--block', href: '/console/' }, '打开工作台')] });
}

function account(current) {
  const push = pushSupported() ? h('button', { class: 'gs-btn gs-btn--block', type: 'button', id: 'push' }, '开启消息提醒') : null;
  const stations = h('a', { class: 'gs-btn gs-btn--block', href: '#/stations' }, '附近的红色驿站');
  if (push) {
    push.addEventListener('click', async () => {
      push.disabled = true;
      push.replaceWith(flash(await enablePush()));
    });
  }
  const leaving = async () => { await disablePush().catch(() => {}); stopServices(); };
  return accountScreen({ user: current.user, extra: [stations, push], onLoggedOut: leaving });
}

function noticesScreen() {
  app.live.seen();
  const draw = () => {
    const items = app.live.items;
    show('消息', items.length ? items.map((n) => h('a', { class: 'gs-card ph-card', href: n.report_id ? `#/open/${n.report_id}` : '#/notices' },
      h('strong', null, n.title), h('div', null, n.body), h('div', { class: 'gs-muted' }, chinaTime(n.created_at))))
      : h('p', { class: 'gs-muted' }, '暂无消息。'));
  };
  draw();
  const onNotice = () => { draw(); app.live.seen(); };
  window.addEventListener('gs:notification', onNotice);
  return () => window.removeEventListener('gs:notification', onNotice);
}

// Send what waits in the outbox; announce the result so screens can redraw their counts.
async function sendOutbox() {
  if (!app.user || app.user.role !== 'rider') return null;
  const result = await app.outbox.flush(sendEntry, { owner: app.user.id });
  window.dispatchEvent(new CustomEvent('gs:outbox', { detail: result }));
  return result;
}

async function retryOutbox() {
  if (!app.user || app.user.role !== 'rider') return;
  const waiting = (await app.outbox.list(app.user.id)).some((e) => e.state === WAITING);
  if (!waiting) return;
  await sendOutbox(); // announced as 'gs:outbox': the list of my reports redraws itself
}

let retryTimer = null;

function startServices() {
  stopServices();
  app.live = new Live(app.user.id);
  app.live.start();
  if (app.user.role === 'grid_worker') resumeDuty();
  retryOutbox();
  retryTimer = setInterval(retryOutbox, RETRY_MS);
  renewPush().catch(() => {});
}

function stopServices() {
  clearInterval(retryTimer);
  if (app.live) app.live.stop();
  keepSendingLocation(false);
}

function showNetwork() {
  document.getElementById('net').hidden = navigator.onLine;
}

async function refreshProfile() {
  try {
    const user = await api('/me');
    saveSession({ ...session(), user });
    app.user = user;
  } catch (error) { /* offline: the profile kept from the last login serves */ }
}

async function start() {
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {});
  app.outbox = await openOutbox();
  app.sendOutbox = sendOutbox;
  whenLoggedOut((message) => {
    app.user = null;
    app.message = message;
    stopServices();
    if (location.hash !== '#/login') location.hash = '#/login';
    else route();
  });
  showNetwork();
  window.addEventListener('online', () => { showNetwork(); retryOutbox(); });
  window.addEventListener('offline', showNetwork);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) retryOutbox(); });
  window.addEventListener('hashchange', route);
  const current = session();
  if (current) {
    app.user = current.user;
    await refreshProfile();
    await categories().catch(() => {});
    if (app.user) startServices();
  }
  route();
}

start();
