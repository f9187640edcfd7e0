"""How far the outbox has been relayed, and how far it has been cleared."""
from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.core.models import Base


class OutboxRelay(Base):
    """The relay's one row.

    Every message up to ``relayed_to`` is final (committed, and nothing can appear below it any
    more) and was handed to Redis; the stream reads the table only that far. Retention deleted
    every message up to ``deleted_to``: a client that last saw an older id must reload (resync).
    """

    __tablename__ = "outbox_relay"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    relayed_to: Mapped[int] = mapped_column(BigInteger, server_default="0")
    deleted_to: Mapped[int] = mapped_column(BigInteger, server_default="0")
