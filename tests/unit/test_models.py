"""Model conventions the sync protocol relies on: UUID keys, versions, aware UTC times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from server.extensions import db
from server.models import Site


def test_timestamps_come_back_timezone_aware_utc(factory):
    site = factory.site()
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Site, site.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_offsets_are_converted_to_utc(factory):
    site = factory.site()
    china = timezone(timedelta(hours=8))
    site.created_at = datetime(2026, 11, 20, 9, 14, 3, tzinfo=china)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Site, site.id).created_at == datetime(2026, 11, 20, 1, 14, 3, tzinfo=UTC)


def test_naive_datetimes_are_refused(factory):
    site = factory.site()
    site.created_at = datetime(2026, 1, 1)
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_version_starts_at_one_and_bumps_on_update(factory):
    site = factory.site()
    db.session.commit()
    assert site.version == 1
    site.name = "改名后的点位"
    db.session.commit()
    assert site.version == 2


def test_device_made_uuid_is_kept(factory):
    device_id = uuid.uuid4()
    unit = factory.unit()
    site = Site(
        id=device_id, name="设备创建", lat=1, lon=2, radius_m=50, unit=unit, region_code="522730"
    )
    db.session.add(site)
    db.session.commit()
    assert db.session.get(Site, device_id).name == "设备创建"


@pytest.mark.parametrize("code", ["5227", "5227301", "52273010", "5227301010"])
def test_region_code_must_be_a_county_township_or_village(factory, code):
    with pytest.raises(IntegrityError):
        factory.unit(region_code=code)
    db.session.rollback()


def test_township_and_village_codes_are_kept(factory):
    township = factory.unit(region_code="522730100")
    site = factory.site(township, region_code="522730100201")
    db.session.commit()
    assert (township.region_code, site.region_code) == ("522730100", "522730100201")


def test_site_coordinates_are_checked(factory):
    with pytest.raises(IntegrityError):
        factory.site(lat=91)
    db.session.rollback()
