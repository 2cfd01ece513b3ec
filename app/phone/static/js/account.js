// Login, registration with an invite code, and the account screen.
import { api, login, logout, session } from './api.js';
import { busy, field, flash, h, show, showApiError, showErrors } from './ui.js';

const PHONE = /^1\d{10}$/;
const PLATFORMS = [['meituan', '美团'], ['eleme', '饿了么'], ['sf_express', '顺丰'], ['jd', '京东'],
  ['dada', '达达'], ['shansong', '闪送'], ['other', '其他']];
export const ROLE_TEXT = { rider: '骑手（移动网格员）', grid_worker: '网格员' };

function input(name, attrs) {
  return h('input', { class: 'gs-input', id: 'f-' + name, name, ...attrs });
}

function phoneProblem(phone) {
  return PHONE.test(phone) ? null : '请输入11位手机号，例如 13800138000。';
}

export function loginScreen({ message, onLoggedIn }) {
  const form = h('form', { class: 'ph-form', novalidate: true },
    message ? flash(message, 'error') : null,
    field('手机号', input('phone', { type: 'tel', inputmode: 'numeric', autocomplete: 'username', maxlength: 11 })),
    field('密码', input('password', { type: 'password', autocomplete: 'current-password' })),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit' }, '登录'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const phone = form.phone.value.trim();
    const errors = {};
    if (phoneProblem(phone)) errors.phone = phoneProblem(phone);
    if (!form.password.value) errors.password = '请输入密码。';
    if (Object.keys(errors).length) { showErrors(form, errors); return; }
    const done = busy(form.querySelector('button'), '正在登录…');
    try {
      onLoggedIn(await login(phone, form.password.value));
    } catch (error) {
      showApiError(form, error);
    } finally {
      done();
    }
  });
  show('登录', form, h('p', { class: 'ph-center' }, '还没有账号？', h('a', { href: '#/register' }, '用邀请码注册')));
}

function registerProblems(form) {
  const errors = {};
  if (!form.name.value.trim()) errors.name = '请填写姓名，网格员和社区按这个名字认识您。';
  const phone = form.phone.value.trim();
  if (phoneProblem(phone)) errors.phone = phoneProblem(phone);
  const password = form.password.value;
  if (password.length < 8 || !/[A-Za-z]/.test(password) || !/\d/.test(password)) {
    errors.password = '密码至少8位，要同时有字母和数字。';
  }
  const code = form.invite_code.value.trim();
  if (code && (code.length < 4 || code.length > 16)) errors.invite_code = '邀请码是4到16位，请照社区给的抄写。';
  return errors;
}

export function registerScreen({ invite, onLoggedIn }) {
  const platform = h('select', { class: 'gs-input', id: 'f-platform', name: 'platform' },
    h('option', { value: '' }, '请选择'), PLATFORMS.map(([value, text]) => h('option', { value }, text)));
  const form = h('form', { class: 'ph-form', novalidate: true },
    field('邀请码', input('invite_code', { value: invite || '', autocapitalize: 'characters' }),
      '社区给的邀请码；有邀请码注册后立即可用，没有则需社区审核。'),
    field('姓名', input('name', { autocomplete: 'name', maxlength: 50 })),
    field('手机号', input('phone', { type: 'tel', inputmode: 'numeric', autocomplete: 'username', maxlength: 11 })),
    field('密码', input('password', { type: 'password', autocomplete: 'new-password' }), '至少8位，含字母和数字'),
    field('配送平台', platform),
    h('button', { class: 'gs-btn gs-btn--primary gs-btn--block', type: 'submit' }, '注册'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = registerProblems(form);
    if (Object.keys(errors).length) { showErrors(form, errors); return; }
    const body = { name: form.name.value.trim(), phone: form.phone.value.trim(), password: form.password.value };
    if (form.invite_code.value.trim()) body.invite_code = form.invite_code.value.trim();
    if (form.platform.value) body.platform = form.platform.value;
    const done = busy(form.querySelector('button'), '正在注册…');
    try {
      const user = await api('/auth/register', { method: 'POST', json: body, auth: false });
      if (user.status === 'active') {
        onLoggedIn(await login(body.phone, body.password));
      } else {
        show('注册', flash('已提交注册。社区审核通过后，您就可以用这个手机号登录。'),
          h('a', { class: 'gs-btn gs-btn--block', href: '#/login' }, '去登录'));
      }
    } catch (error) {
      showApiError(form, error);
    } finally {
      done();
    }
  });
  show('注册', form, h('p', { class: 'ph-center' }, '已有账号？', h('a', { href: '#/login' }, '登录')));
}

export function accountScreen({ user, extra, onLoggedOut }) {
  const out = h('button', { class: 'gs-btn gs-btn--block gs-btn--danger', type: 'button' }, '退出登录');
  out.addEventListener('click', async () => {
    busy(out, '正在退出…');
    await onLoggedOut();
    await logout();
    location.hash = '#/login';
  });
  show('我的', h('section', { class: 'gs-card' },
    h('h2', null, user.name),
    h('p', null, ROLE_TEXT[user.role] || user.role),
    h('p', { class: 'gs-muted' }, `手机号 ${user.phone}`),
    user.area_code ? h('p', { class: 'gs-muted' }, `所属社区编码 ${user.area_code}`) : null),
  extra, out);
}

export function currentUser() {
  const current = session();
  return current && current.user;
}
