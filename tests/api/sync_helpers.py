"""A small field world (office, team, plan, sites) and push/pull helpers for API tests."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from server.models import Plan, Site, Unit, User


@dataclass
class World:
    office: Unit
    target: Unit
    inspector: User
    outsider: User
    supervisor: User
    responder: User
    plan: Plan
    site: Site
    other_site: Site


TUS = {"Tus-Resumable": "1.0.0"}


def now_iso() -> str:
    """Captures happen now, inside the plan's window (which the factory starts today)."""
    return datetime.now(UTC).isoformat()


def new_id() -> str:
    return str(uuid.uuid4())


def mutation(entity, data, op="create", record_id=None, base_version=None):
    return {
        "mutation_id": new_id(),
        "entity": entity,
        "op": op,
        "id": record_id or new_id(),
        "base_version": base_version,
        "data": data,
        "client_time": "2026-11-20T09:14:03.120+08:00",
    }


def visit_data(world, **extra):
    return {
        "plan_id": str(world.plan.id),
        "site_id": str(world.site.id),
        "arrived_at": now_iso(),
        "lat": 26.4533,
        "lon": 106.9769,
        "accuracy_m": 8.5,
        "note": "到达工地",
        **extra,
    }


def finding_data(world, **extra):
    return {
        "plan_id": str(world.plan.id),
        "site_id": str(world.site.id),
        "visit_id": None,
        "title": "脚手架未设防护网",
        "description": "三号楼东侧脚手架缺少安全防护网",
        "category": "work_safety",
        "severity": "high",
        "unit_id": str(world.target.id),
        "lat": 26.4533,
        "lon": 106.9769,
        "accuracy_m": 8.5,
        "observed_at": "2026-11-20T09:14:00+08:00",
        **extra,
    }


def photo_data(parent_id, content: bytes, parent_type="finding", **extra):
    import hashlib

    return {
        "parent_type": parent_type,
        "parent_id": parent_id,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size_bytes": len(content),
        "mime_type": "image/jpeg",
        "captured_at": now_iso(),
        "lat": 26.4533,
        "lon": 106.9769,
        "accuracy_m": 8.5,
        "location_source": "geolocation",
        **extra,
    }


class Device:
    """One signed-in device: push, pull (following has_more) and keep the cursor."""

    def __init__(self, client, auth, user):
        self.client = client
        self.user = user
        self.headers = auth.headers(user)
        self.device_id = new_id()
        self.cursor = None

    def push(self, *mutations, expect=200):
        response = self.client.post(
            "/api/sync/push",
            headers=self.headers,
            json={"device_id": self.device_id, "mutations": list(mutations)},
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()["results"] if expect == 200 else response.get_json()

    def pull(self, limit=None):
        changes = []
        while True:
            query = {k: v for k, v in {"cursor": self.cursor, "limit": limit}.items() if v}
            response = self.client.get("/api/sync/pull", headers=self.headers, query_string=query)
            assert response.status_code == 200, response.get_json()
            body = response.get_json()
            changes += body["changes"]
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return changes


def of(changes, entity, op="upsert"):
    return {c["id"]: c for c in changes if c["entity"] == entity and c["op"] == op}


def tus_headers(photo_id: str, content: bytes) -> tuple[dict, dict]:
    """The headers of a tus creation for a photo's whole content, and of the one PATCH
    that sends it (without the caller's authorization)."""
    sha256 = hashlib.sha256(content).hexdigest()
    meta = f"photo_id {_b64(photo_id)},sha256 {_b64(sha256)}"
    creation = {**TUS, "Upload-Length": str(len(content)), "Upload-Metadata": meta}
    sending = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    return creation, sending


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
