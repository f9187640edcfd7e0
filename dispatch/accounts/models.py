"""People who sign in, and the bearer tokens they were given."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base, one_of

#: Who may sign in: admin (everything but crew work), supervisor (the desk and crew records),
#: dispatcher (the desk), crew (its own jobs, bound to one crew), viewer (reads the desk's picture),
#: manager (reads the service-level and reliability reports, changes nothing).
ROLES = ("admin", "supervisor", "dispatcher", "crew", "viewer", "manager")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        # A crew account acts for exactly one crew; nobody else is bound to one.
        CheckConstraint("(role = 'crew') = (crew_id IS NOT NULL)", name="crew_role_has_crew"),
        CheckConstraint("username = lower(username)", name="username_lower_case"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    #: An argon2id hash (PHC string with its own salt and parameters).
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    crew_id: Mapped[int | None] = mapped_column(ForeignKey("crews.id"), index=True)
    active: Mapped[bool] = mapped_column(server_default="true")
    #: The zones (codes) a desk user's lists and live feed are limited to; empty: all of them.
    zones: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """One issued bearer token (its signed id travels to the client); revoked by sign-out or by
    an administrator."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
