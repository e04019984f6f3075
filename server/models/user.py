"""Accounts and their roles."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, Timestamps, UUIDKey, enum_type
from server.models.unit import Unit


class Role(enum.StrEnum):
    inspector = "inspector"  # 督查人员
    supervisor = "supervisor"  # 督查室
    responder = "responder"  # 责任单位联络员
    leader = "leader"  # 牵头领导
    admin = "admin"  # 系统管理员


class User(UUIDKey, Timestamps, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    # Set by an admin's reset or a new account: the first login must choose a password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[Unit] = relationship(lazy="joined")
