"""Coordinates at the map's edge. Everything is stored in WGS-84 (what a phone's GNSS
gives, and what 天地图's CGCS2000 matches to well under a metre); only a base map drawn
in GCJ-02 (the "Mars" offset that maps published in China by most commercial providers
carry) needs the points shifted, and only when they are drawn on it.

The GCJ-02 offset is the widely published formula (as in eviltransform); the way back is
by fixed-point iteration, exact to well under a centimetre."""

from __future__ import annotations

import math

_A = 6378245.0  # Krasovsky 1940
_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """The offset applies only inside this rough box (as the formula's authors drew it)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    wave = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += wave + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lon += wave + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 form is (lat, lon)."""
    if out_of_china(lat, lon):
        return lat, lon
    wgs_lat, wgs_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(wgs_lat, wgs_lon)
        d_lat, d_lon = g_lat - lat, g_lon - lon
        wgs_lat, wgs_lon = wgs_lat - d_lat, wgs_lon - d_lon
        if abs(d_lat) < 1e-10 and abs(d_lon) < 1e-10:
            break
    return wgs_lat, wgs_lon


def for_base_map(lat: float, lon: float, datum: str) -> tuple[float, float]:
    """A stored (WGS-84) point as the base map draws it: `datum` is the map's setting,
    "wgs84" (天地图, the PMTiles base map, no base map) or "gcj02"."""
    return wgs84_to_gcj02(lat, lon) if datum == "gcj02" else (lat, lon)
