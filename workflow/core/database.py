"""Database plumbing: the declarative base, engines and sessions.

Services take a :class:`~sqlalchemy.orm.Session`; their transactions are
opened and closed by :mod:`workflow.core.unit_of_work`.
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from workflow.core.sqlite import ensure_wal

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite has no time zones; PostgreSQL stores ``timestamptz``. Naive values
    are refused so that a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(dt.timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def make_engine(url: str, *, threads: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and serialised writes.

    ``threads``: how many threads of this process use the database at once (a
    worker's concurrency). On a server database the pool keeps that many
    connections, so no thread waits for another to hand its connection back.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).update({"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - driver hook
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            if ":memory:" not in url:
                ensure_wal(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver hook
            # IMMEDIATE takes the write lock up front, so two racing
            # transactions serialise instead of failing half-way.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if threads:
        # A pool smaller than the thread count makes every thread queue for a
        # connection while others hold theirs through a lock wait: the whole
        # worker then runs at the pace of the pool. The overflow covers the
        # lease heartbeats, which run beside their delivery's thread.
        kwargs.setdefault("pool_size", threads)
        kwargs.setdefault("max_overflow", max(4, threads // 4))
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine, **info: Any) -> sessionmaker[Session]:
    """A session factory whose sessions carry ``info`` (e.g. the dispatcher)."""
    return sessionmaker(engine, expire_on_commit=False, info=dict(info))


# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def enum_column(enum_class: type[enum.StrEnum], name: str, length: int = 30) -> SAEnum:
    """A column type for a domain enum: stored as its value, checked by the database (``ck_<table>_<name>``)."""
    return SAEnum(enum_class, name=name, native_enum=False, create_constraint=True, validate_strings=True,
                  length=length, values_callable=lambda members: [m.value for m in members])
