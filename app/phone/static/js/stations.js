// 红色驿站 near me, for anyone signed in: nearest first with the distance, hours and services, and the
// way there in a map app.
import { api } from './api.js';
import { navigationLinks } from './maps.js';
import { currentPosition, flash, h, screenFor } from './ui.js';

// 850 米, 1.2 公里: as a person reads a distance.
export function distanceText(metres) {
  if (metres < 1000) return `${Math.round(metres)} 米`;
  return `${(metres / 1000).toFixed(metres < 10000 ? 1 : 0)} 公里`;
}

function stationCard(station) {
  return h('article', { class: 'gs-card', 'data-station': station.id },
    h('div', { class: 'ph-card-head' }, h('h2', null, station.name),
      h('strong', { class: 'ph-distance gs-num' }, distanceText(station.distance_m))),
    h('p', null, `开放时间：${station.hours}`),
    h('ul', { class: 'ph-services' }, station.services.map((service) => h('li', null, service))),
    h('div', { class: 'gs-row' }, navigationLinks({ lat: station.lat, lon: station.lon, name: station.name })
      .map((link) => h('a', { class: 'gs-btn', href: link.href, 'data-app': link.app, rel: 'noopener' }, link.text))));
}

export async function stationsScreen() {
  const draw = screenFor();
  draw('红色驿站', h('p', { class: 'gs-muted' }, '正在定位，查找附近的驿站…'));
  let here;
  try {
    here = await currentPosition();
  } catch (error) {
    draw('红色驿站', flash(error.message, 'error'));
    return;
  }
  try {
    const { items } = await api(`/stations?lat=${here.lat}&lon=${here.lon}&limit=20`);
    draw('红色驿站', h('p', { class: 'gs-muted' }, '喝口水、充个电、热个饭、歇个脚：社区为骑手开的驿站，离您最近的在前。'),
      items.length ? h('section', { id: 'stations' }, items.map(stationCard))
        : h('p', { class: 'gs-muted' }, '附近还没有红色驿站。'));
  } catch (error) {
    draw('红色驿站', flash(error.offline ? '现在离线：联网后才能查找驿站。' : error.message, 'error'));
  }
}
