// Device location (the location of record for check-ins and photos) and distances.

const EARTH_RADIUS_M = 6371008.8;

/** Current position as {lat, lon, accuracy_m, at}; rejects with a Chinese message. */
export function currentPosition({ timeout = 15000, maximumAge = 0 } = {}) {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("此设备不支持定位"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({
        lat: pos.coords.latitude,
        lon: pos.coords.longitude,
        accuracy_m: Math.round(pos.coords.accuracy * 10) / 10,
        at: new Date(pos.timestamp || Date.now()),
      }),
      (err) => reject(new Error(
        err.code === 1 ? "定位权限被拒绝,请在浏览器设置中允许定位"
          : err.code === 3 ? "定位超时,请到开阔处重试" : "无法获取位置",
      )),
      { enableHighAccuracy: true, timeout, maximumAge },
    );
  });
}

/** Position or null (never throws): for photos, where a missing fix must not block capture. */
export async function positionOrNull(options) {
  try { return await currentPosition(options); } catch { return null; }
}

/** Great-circle distance in metres (haversine on the mean Earth radius). */
export function distanceM(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export function formatDistance(m) {
  if (m == null || Number.isNaN(m)) return "—";
  return m >= 1000 ? `${(m / 1000).toFixed(2)} 公里` : `${Math.round(m)} 米`;
}
