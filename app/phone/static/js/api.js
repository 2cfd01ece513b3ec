// The JSON API as a native client uses it: bearer tokens kept on the phone and refreshed before they
// expire; every failure becomes an ApiError whose message a person can read.
import { newKey } from './queue.js';

const SESSION_KEY = 'gridsnap.session';
const REFRESH_MARGIN_S = 120; // refresh this long before the access token runs out
export const NETWORK_MESSAGE = '网络不通，请检查网络后再试。';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }

  get fields() { return this.details.fields || {}; }
  get offline() { return this.status === 0; }
}

let onLoggedOut = () => {};
export function whenLoggedOut(callback) { onLoggedOut = callback; }

export function session() {
  try { return JSON.parse(localStorage.getItem(SESSION_KEY)); } catch (e) { return null; }
}

export function saveSession(value) { localStorage.setItem(SESSION_KEY, JSON.stringify(value)); }

export function endSession(message) {
  localStorage.removeItem(SESSION_KEY);
  onLoggedOut(message);
}

export function tokenExpiry(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part)).exp;
}

async function readError(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON: a proxy's page */ }
  const error = body && body.error;
  if (error && error.message) return new ApiError(response.status, error.code, error.message, error.details);
  if (response.status >= 500) return new ApiError(response.status, 'server_error', `服务器暂时出了问题（${response.status}），请稍后再试。`);
  return new ApiError(response.status, 'http_' + response.status, `请求没有成功（${response.status}），请稍后再试。`);
}

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
}

let refreshing = null;

async function refreshAccess(current) {
  const response = await send('/api/v1/auth/refresh', {
    method: 'POST', headers: { Authorization: 'Bearer ' + current.refresh_token, Accept: 'application/json' },
  });
  if (!response.ok) {
    const error = await readError(response);
    if (response.status === 401 || response.status === 403) endSession(error.message);
    throw error;
  }
  const { access_token: access } = await response.json();
  const latest = session();
  if (latest && latest.refresh_token === current.refresh_token) saveSession({ ...latest, access_token: access });
  return access;
}

// The access token, refreshed first when it is about to expire (one refresh at a time).
export async function accessToken({ force = false } = {}) {
  const current = session();
  if (!current) {
    endSession('请先登录。');
    throw new ApiError(401, 'missing_token', '请先登录。');
  }
  const left = tokenExpiry(current.access_token) - Date.now() / 1000;
  if (!force && left > REFRESH_MARGIN_S) return current.access_token;
  refreshing = refreshing || refreshAccess(current).finally(() => { refreshing = null; });
  return refreshing;
}

function body(options, headers) {
  if (options.form) return options.form; // multipart: the browser writes the boundary
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    return JSON.stringify(options.json);
  }
  return undefined;
}

// One API call; resolves to the parsed JSON (null for 204) or throws ApiError.
export async function api(path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  const init = { method: options.method || 'GET', headers, body: body(options, headers), cache: 'no-store' };
  const url = '/api/v1' + path;
  let response;
  if (options.auth === false) {
    response = await send(url, init);
  } else {
    headers.Authorization = 'Bearer ' + await accessToken();
    response = await send(url, init);
    if (response.status === 401) { // the clock may be off: one forced refresh, then give up
      headers.Authorization = 'Bearer ' + await accessToken({ force: true });
      response = await send(url, init);
      if (response.status === 401) {
        const error = await readError(response);
        endSession(error.message);
        throw error;
      }
    }
  }
  if (!response.ok) throw await readError(response);
  if (response.status === 204) return null;
  return response.json();
}

// An action on a report (接单, 处置, 评价 …): one Idempotency-Key per tap, and quiet retries with the
// same key when the answer was lost on the way, so the server acts once and the phone learns the result.
const ACTION_RETRIES = 2;

export async function act(path, options = {}) {
  const headers = { ...(options.headers || {}), 'Idempotency-Key': newKey() };
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api(path, { ...options, method: 'POST', headers });
    } catch (error) {
      const again = error.offline || error.code === 'idempotency_in_progress';
      if (!again || attempt >= ACTION_RETRIES) throw error;
      await new Promise((resolve) => { setTimeout(resolve, 1000 * (attempt + 1)); });
    }
  }
}

export async function login(phone, password) {
  const result = await api('/auth/login', { method: 'POST', json: { phone, password }, auth: false });
  saveSession({ access_token: result.access_token, refresh_token: result.refresh_token, user: result.user });
  return result.user;
}

export async function logout() {
  try { await api('/auth/logout', { method: 'POST' }); } catch (e) { /* offline: the tokens are dropped anyway */ }
  localStorage.removeItem(SESSION_KEY);
}
