// Navigation to a report in the Chinese map apps. The API gives WGS-84 (GPS) coordinates while
// 高德 uses GCJ-02 and 百度 BD-09, so each link says its coordinates are WGS-84 and the map app
// converts them. The https URIs work inside WeChat (which blocks app schemes) and open the app
// where it is installed.
export function navigationLinks({ lat, lon, name }) {
  const label = encodeURIComponent(name || '上报位置');
  return [
    { app: 'amap', text: '高德地图导航',
      href: `https://uri.amap.com/navigation?to=${lon},${lat},${label}&mode=ride&coordinate=wgs84&callnative=1&src=gridsnap` },
    { app: 'baidu', text: '百度地图导航',
      href: `https://api.map.baidu.com/direction?destination=latlng:${lat},${lon}|name:${label}`
        + '&coord_type=wgs84&mode=riding&output=html&src=webapp.gridsnap' },
  ];
}
