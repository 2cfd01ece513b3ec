// Small DOM helpers shared by the screens: elements, form errors beside their fields, China time.
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([name, value]) => {
    if (value === null || value === undefined || value === false) return;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'text') element.textContent = value;
    else element.setAttribute(name, value === true ? '' : value);
  });
  children.flat().forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  });
  return element;
}

// An element's children replaced (replaceChildren is too new for some WeChat WebViews).
export function fill(element, nodes) {
  element.textContent = '';
  element.append(...nodes.flat().filter(Boolean));
}

let routeHash = null;

// A new screen begins: a slower screen the person has already left must not draw over it.
export function routed() { routeHash = location.hash; }

export function show(title, ...nodes) {
  if (routeHash !== null && location.hash !== routeHash) return;
  document.getElementById('title').textContent = title;
  fill(document.getElementById('view'), nodes);
  window.scrollTo(0, 0);
}

// Draws bound to the screen they began on: data that arrives after the person has moved to another
// screen (a live redraw racing a tap) is dropped instead of pulling them back.
export function screenFor(hash = location.hash) {
  return (title, ...nodes) => { if (location.hash === hash) show(title, ...nodes); };
}

// For a screen that redraws itself: each call begins a redraw and gives its draw function, which
// draws only while no later redraw has begun (a slower, older one is dropped, not drawn over it).
export function latestDraw(draw) {
  let begun = 0;
  return () => {
    begun += 1;
    const mine = begun;
    return (...args) => { if (mine === begun) draw(...args); };
  };
}

// A number, or a dash where there is none yet.
export function orDash(value, dash = '—') {
  return value === null || value === undefined ? dash : value;
}

export function field(label, input, hint) {
  return h('div', { class: 'gs-field', 'data-field': input.name || input.dataset.field },
    h('label', { for: input.id }, label), input, hint ? h('div', { class: 'gs-hint' }, hint) : null);
}

export function clearErrors(form) {
  form.querySelectorAll('.gs-error').forEach((node) => node.remove());
  form.querySelectorAll('.gs-field--error').forEach((node) => node.classList.remove('gs-field--error'));
}

// Each message under its field (by data-field), the rest at the top of the form.
export function showErrors(form, fields, general) {
  clearErrors(form);
  const loose = [];
  Object.entries(fields || {}).forEach(([name, messages]) => {
    const text = [].concat(messages).join(' ');
    const box = form.querySelector(`[data-field="${name}"]`);
    if (box) {
      box.classList.add('gs-field--error');
      box.append(h('div', { class: 'gs-error', role: 'alert' }, text));
    } else {
      loose.push(text);
    }
  });
  const top = [general, ...loose].filter(Boolean).join(' ');
  if (top) form.prepend(h('div', { class: 'gs-error ph-form-error', role: 'alert' }, top));
  const first = form.querySelector('.gs-error');
  if (first && first.scrollIntoView) first.scrollIntoView({ block: 'center' });
}

// The API's error on a form: field messages beside their fields, the message itself on top.
export function showApiError(form, error) {
  const fields = error.fields || {};
  showErrors(form, fields, Object.keys(fields).length ? null : error.message);
}

export function flash(text, kind = 'ok') {
  return h('div', { class: `gs-flash gs-flash--${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

const CHINA = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
});

export function chinaTime(iso) {
  return iso ? CHINA.format(new Date(iso)) : '';
}

export function badge(report) {
  return h('span', { class: `gs-badge gs-badge--${report.status}` }, report.status_text || report.status);
}

export function busy(button, text) {
  const before = button.textContent;
  button.disabled = true;
  button.textContent = text;
  return () => { button.disabled = false; button.textContent = before; };
}

// The current position from the phone (WGS-84), or a Chinese reason why there is none.
export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) {
      reject(new Error('这个浏览器不能定位。'));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy }),
      (e) => reject(new Error(e.code === 1 ? '没有定位权限：请在浏览器或微信设置里允许“位置”。' : '暂时定不到位置，请到开阔处再试。')),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
    );
  });
}
