"""Shared pieces of the bulletin tests: a month with items, a photo with a real public
copy, the console steps of a bulletin."""

from __future__ import annotations

import io
import uuid
from datetime import date

from PIL import Image, ImageDraw

from server.evidence.storage import evidence_storage
from server.extensions import db
from server.models import Bulletin, ContentStatus, PhotoParent
from server.timeutil import local_today
from tests.api.test_console_plans import login
from tests.factories import Factory

__all__ = ["login"]


def last_month() -> tuple[int, int]:
    first = local_today().replace(day=1)
    previous = date.fromordinal(first.toordinal() - 1)
    return previous.year, previous.month


def day_in(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def public_photo(finding):
    """A processed finding photo whose public copy is a real JPEG."""
    photo = Factory().photo(
        finding.created_by,
        PhotoParent.finding,
        finding.id,
        finding.plan_id,
        content_status=ContentStatus.stored,
    )
    photo.derived = {"public": f"derived/t/{photo.id}/public.jpg"}
    path = evidence_storage().local_path(photo.derived["public"])
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (480, 320), (40, 110, 170))
    ImageDraw.Draw(image).rectangle((60, 60, 420, 260), outline=(250, 250, 250), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    db.session.commit()
    return photo


def post(client, url, csrf, **form):
    return client.post(url, data={"csrf_token": csrf, **form})


def create(client, csrf, year: int, month: int, **form) -> Bulletin:
    response = post(client, "/console/bulletins/new", csrf, month=f"{year}-{month:02d}", **form)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    bulletin_id = response.headers["Location"].rsplit("/", 1)[1]
    db.session.expire_all()
    return db.session.get(Bulletin, uuid.UUID(bulletin_id))


def step(client, csrf, bulletin, action, expect=303, **form):
    url = f"/console/bulletins/{bulletin.id}/{action}".rstrip("/")
    response = post(client, url, csrf, **form)
    assert response.status_code == expect, (action, response.status_code, errors_of(response))
    db.session.expire_all()
    return response


def errors_of(response) -> list[str]:
    """The field messages a redrawn form shows (for a failing assertion's message)."""
    html = response.get_data(as_text=True)
    return [part.split("<")[0] for part in html.split('class="field-error" role="alert">')[1:]]
