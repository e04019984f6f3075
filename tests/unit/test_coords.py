"""WGS-84 ↔ GCJ-02 at the map's edge, against the published test points of eviltransform
(github.com/googollee/eviltransform, python/test.py): Shanghai, Shenzhen, Beijing."""

from __future__ import annotations

import math
import random

import pytest

from server.maps.coords import for_base_map, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02

# wgs lat, wgs lon, gcj lat, gcj lon
REFERENCE = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def metres(a, b) -> float:
    d_lat = math.radians(b[0] - a[0])
    d_lon = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6371000 * math.hypot(d_lat, d_lon)


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), REFERENCE)
def test_known_points(lat, lon, gcj_lat, gcj_lon):
    assert wgs84_to_gcj02(lat, lon) == pytest.approx((gcj_lat, gcj_lon), abs=1e-6)
    assert metres(gcj02_to_wgs84(gcj_lat, gcj_lon), (lat, lon)) < 0.01


def test_round_trip_across_china():
    rng = random.Random(7)
    for _ in range(500):
        point = (rng.uniform(18.2, 53.5), rng.uniform(73.5, 134.7))
        shifted = wgs84_to_gcj02(*point)
        assert 1 < metres(point, shifted) < 1000  # the offset is real and bounded
        assert metres(gcj02_to_wgs84(*shifted), point) < 0.01


def test_outside_china_nothing_moves():
    for point in [(51.4779, -0.0015), (-33.8568, 151.2153), (35.6586, 139.7454)]:
        assert out_of_china(*point)
        assert wgs84_to_gcj02(*point) == point == gcj02_to_wgs84(*point)
    assert not out_of_china(26.4533, 106.9769)


def test_only_a_gcj02_base_map_shifts_points():
    lat, lon = 26.4533, 106.9769  # a county town in Guizhou
    assert for_base_map(lat, lon, "wgs84") == (lat, lon)
    assert for_base_map(lat, lon, "gcj02") == wgs84_to_gcj02(lat, lon) != (lat, lon)
