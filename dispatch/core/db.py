"""Database engine and sessions.

Services receive a :class:`~sqlalchemy.orm.Session` and own its transaction (one per request or
job). Tests rebind the session factory to a connection inside an outer transaction so that every
test is rolled back.
"""
from __future__ import annotations

import functools
from typing import Sequence

import sqlalchemy
from sqlalchemy import Connection, Engine, TextClause, create_engine
from sqlalchemy.orm import Session, sessionmaker


@functools.lru_cache(maxsize=4096)
def text(statement: str) -> TextClause:
    """:func:`sqlalchemy.text`, built once per distinct statement and then shared. Building one parses
    its bind parameters, and each new one computes its cache key again on every execution: a storm
    call's twenty-odd statements spent a tenth of the API's CPU on that (BENCHMARKS.md). A clause is
    never changed once built (``bindparams`` and ``columns`` return new ones), so threads share it."""
    return sqlalchemy.text(statement)


def id_match(column: str, param: str, ids: Sequence[int]) -> tuple[str, int | list[int]]:
    """The condition that ``column`` is one of ``ids`` (at least one), bound as ``:param``, and the
    value to bind: ``column = :param`` for one id, ``column = ANY(:param)`` for more.

    Why not always ANY: PostgreSQL re-plans a prepared statement with ``= ANY($1)`` on an array
    parameter at every execution. Its generic plan guesses ten elements, so the plan made for the one
    id at hand always looks cheaper; the outbox's incident message, planned anew on each storm call,
    took a millisecond of the database's CPU a call (BENCHMARKS.md). With one id, which is most calls,
    the equality's generic plan is kept and reused."""
    if len(ids) == 1:
        return f"{column} = :{param}", ids[0]
    return f"{column} = ANY(:{param})", list(ids)


class Database:
    """One engine and the session factory built on it."""

    def __init__(self, url: str, connect_timeout_s: float = 5.0, pool_size: int = 5, max_overflow: int = 10):
        self.engine: Engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # No JIT: our queries are short, and PostgreSQL's cost estimates (thousands of buses
            # joined to an array, say) can make it compile for 300 ms a query that runs in 10.
            connect_args={"connect_timeout": max(1, int(connect_timeout_s)), "options": "-c jit=off"},
        )
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session; the caller closes it."""
        return self._sessions()

    def bind_to(self, connection: Connection) -> None:
        """Run every future session inside ``connection``'s transaction, committing to savepoints."""
        self._sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def dispose(self) -> None:
        self.engine.dispose()
