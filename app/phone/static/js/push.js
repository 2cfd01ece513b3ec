// Web Push through the service worker, where the browser has it and the server is set up for it.
// Chrome's push rides FCM, which mainland phones rarely reach, so this is a bonus over the live list.
import { api } from './api.js';

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function keyBytes(base64url) {
  const padded = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function register(subscription) {
  await api('/push-subscriptions', { method: 'POST', json: { ...subscription.toJSON(), user_agent: navigator.userAgent.slice(0, 200) } });
}

// On every start: a subscription this browser already has is sent again (the server may have dropped it).
export async function renewPush() {
  if (!pushSupported() || Notification.permission !== 'granted') return;
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  if (subscription) await register(subscription).catch(() => {});
}

// After the person taps 开启: ask, subscribe, register. Answers a sentence saying what happened.
export async function enablePush() {
  let key;
  try {
    key = (await api('/push-subscriptions/vapid-public-key', { auth: false })).public_key;
  } catch (error) {
    return error.status === 404 ? '服务器没有开通推送，打开应用时在“消息”里查看。' : error.message;
  }
  if (await Notification.requestPermission() !== 'granted') return '没有通知权限：请在系统设置里允许本应用发通知。';
  const registration = await navigator.serviceWorker.ready;
  try {
    const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
    await register(subscription);
    return '已开启消息提醒。';
  } catch (error) {
    return '这个浏览器暂时收不到推送，打开应用时在“消息”里查看。';
  }
}

export async function disablePush() {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration('/app/');
  const subscription = registration && await registration.pushManager.getSubscription();
  if (!subscription) return;
  await api('/push-subscriptions', { method: 'DELETE', json: { endpoint: subscription.endpoint } }).catch(() => {});
  await subscription.unsubscribe().catch(() => {});
}
