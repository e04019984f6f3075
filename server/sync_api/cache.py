"""Records a request looks up again and again (a push of 100 findings checks the same plan,
its team and sites 100 times): kept for the length of the session's transaction.

SQLAlchemy's identity map holds objects weakly, so without a strong reference each
mutation re-read them. The cache holds them strongly and is emptied when the transaction
ends (the objects themselves are expired at commit as usual)."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from server.models import Category, Plan

CACHE = "field_lookup_cache"


def cached_get(session: Session, model, key):
    if key is None:
        return None
    cache = session.info.setdefault(CACHE, {})
    slot = (model, key)
    if slot not in cache:
        if model is Plan:
            query = (
                select(Plan)
                .where(Plan.id == key)
                .options(selectinload(Plan.team), selectinload(Plan.sites))
            )
            cache[slot] = session.scalar(query)
        else:
            cache[slot] = session.get(model, key)
    return cache[slot]


def active_categories(session: Session) -> set[str]:
    cache = session.info.setdefault(CACHE, {})
    if "categories" not in cache:
        cache["categories"] = set(session.scalars(select(Category.code).where(Category.active)))
    return cache["categories"]


def forget(session, transaction):
    # Savepoints end all the time during a push; only the real transaction's end counts.
    if transaction.parent is None:
        session.info.pop(CACHE, None)


def forget_rolled_back(session, previous_transaction):
    # A savepoint rolled back: what it created is no longer in the database (its objects
    # are transient now), so a lookup must not find it. A push applies a run of mutations
    # in one savepoint and may roll the run back (sync/apply.py).
    cache = session.info.get(CACHE)
    if not cache:
        return
    for slot, value in list(cache.items()):
        if isinstance(slot, tuple) and value is not None and not inspect(value).persistent:
            del cache[slot]
