"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import IO, Any, ClassVar, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from dispatch.core import transaction
from dispatch.core.types import JSONType, UTCDateTime

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
    }


def _plain_rows(objects: Sequence[object]) -> tuple[Table, list[dict[str, Any]]]:
    """The table of new objects of one mapped class, and their set values by column."""
    mapper = inspect(type(objects[0]))
    columns = {attr.key: attr.columns[0].key for attr in mapper.column_attrs}
    rows = [
        {columns[key]: value for key, value in inspect(obj).dict.items() if key in columns}
        for obj in objects
    ]
    return mapper.local_table, rows


def insert_rows(session: Session, objects: Sequence[object]) -> None:
    """Insert new objects of one mapped class as plain rows through its table: one
    statement for all, compiled once, without the unit of work's bookkeeping (the cost of
    a flush). For rows nothing reads back in the transaction (activity entries, status
    stays): the objects stay transient."""
    if objects:
        table, rows = _plain_rows(objects)
        # One row goes as one execution: a list takes SQLAlchemy's executemany path.
        session.execute(_insert_into(table), rows[0] if len(rows) == 1 else rows)


@functools.cache
def _insert_into(table: Table) -> Any:
    """INSERT into `table`, built once: building it anew also meant computing its cache
    key anew on every call."""
    return insert(table)


def per_dialect(build: Callable[[Any], T]) -> dict[str, T]:
    """A statement built once for each dialect's INSERT (both share ON CONFLICT, each in
    its own construct), by dialect name: hot statements are module constants."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


@functools.cache
def json_insert(table: Table, param: str, only: tuple[str, ...] = ()) -> str:
    """PostgreSQL: `INSERT INTO table SELECT ... FROM jsonb_to_recordset(:param)`, rows
    of every column of `table` (or `only` these) from one JSON array: psycopg sends one
    string at once, a list of values one by one. Keys a row lacks are NULL."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    columns = [column for column in table.columns if not only or column.name in only]
    names = ", ".join(quote(column.name) for column in columns)
    typed = ", ".join(f"{quote(column.name)} {column.type.compile(dialect)}" for column in columns)
    return (
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "  # noqa: S608 - our own
        f"FROM jsonb_to_recordset(CAST(:{param} AS jsonb)) AS r({typed})"
    )


def as_json(rows: list[dict[str, Any]]) -> str:
    """Rows for `json_insert`'s parameter: times in ISO 8601 with their offset."""
    return json.dumps(rows, default=_iso)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # as `UTCDateTime` refuses them
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def insert_rows_part(objects: list[Any]) -> transaction.CommitPart:
    """`insert_rows` as a part of the commit's one statement (PostgreSQL)."""
    table, rows = _plain_rows(objects)
    clause = f"{table.name}_in AS ({json_insert(table, table.name)})"
    return transaction.CommitPart((clause,), {table.name: as_json(rows)})


def one_of(column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """`column = value` for one value (the planner's cheapest index probe, and the form
    the single-brand queries always had), `column IN (...)` for several."""
    if len(values) == 1:
        return column == next(iter(values))  # type: ignore[no-any-return]
    return column.in_(sorted(values))  # type: ignore[no-any-return]


class _WriterLock:
    """One SQLite database's writer lock: a thread lock of this process, then a flock of
    `<database>-writer.lock` across processes (none for an in-memory database). It also
    counts this process's commits, to checkpoint the write-ahead log every
    `CHECKPOINT_EVERY` of them."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = f"{database}-writer.lock" if database and database != ":memory:" else None
        self._file: IO[bytes] | None = None
        self._commits = 0

    def acquire(self) -> None:
        self._threads.acquire()
        try:
            if self._path is not None:
                if self._file is None:
                    self._file = open(self._path, "ab")  # noqa: SIM115 - held for the process
                fcntl.flock(self._file, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self, *, committed: bool = False) -> bool:
        """Let the next writer in; whether the log is due for a checkpoint."""
        due = False
        if committed:
            self._commits += 1  # under the thread lock
            due = self._commits % CHECKPOINT_EVERY == 0
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()
        return due


# SQLite's own checkpoints run inside a COMMIT once the write-ahead log passes 1,000 pages
# (a few dozen writes), holding the write lock while they copy the log into the database
# and sync it: 6% of commits took 2-12 ms, a sixteenth of the time writers held the lock,
# and every writer queued behind them. They are turned off; instead a commit that makes
# this many of a process's commits runs a PASSIVE checkpoint once it let go of the lock
# (it never waits for, nor blocks, readers and writers: it copies what it can, and a
# checkpoint that caught up lets the next writer start the log again from its beginning).
CHECKPOINT_EVERY = 32


class _SQLiteConnection(sqlite3.Connection):
    """Lets go of its database's writer lock once its transaction has ended: after its
    COMMIT succeeded, or its ROLLBACK ran, or it closed. Not before: SQLAlchemy's commit
    and rollback events fire before them, and a writer let in then found the database
    still locked and slept in SQLite's busy handler while the queue stood still. After a
    commit it checkpoints the log when that is due (above)."""

    writer: _WriterLock | None = None

    def commit(self) -> None:
        super().commit()  # a failed COMMIT keeps the lock until the rollback
        if self.release_writer(committed=True):
            # The commit stands whatever happens here; a later checkpoint copies the rest.
            with contextlib.suppress(sqlite3.Error):
                self.execute("PRAGMA wal_checkpoint(PASSIVE)").close()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writer()

    def release_writer(self, *, committed: bool = False) -> bool:
        writer, self.writer = self.writer, None
        return writer is not None and writer.release(committed=committed)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # see CHECKPOINT_EVERY
        cursor.close()

    # SQLite has one writer at a time, and a writer that finds the database locked sleeps
    # in the busy handler, in growing steps, however soon the lock is free: under load
    # most of a write's time went there (p95 over a second at 16 connections). Writers
    # queue instead, before BEGIN IMMEDIATE, until the transaction ends: on a lock of
    # this process, then on an exclusive flock of a file beside the database (shared by
    # every process: the kernel wakes the next waiter the moment it is free).
    writer = _WriterLock(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that later
        # upgrades can fail with SQLITE_BUSY instead of waiting its turn.
        immediate = conn.get_execution_options().get("dispatch_write", False)
        dbapi_connection = cast(_SQLiteConnection, conn.connection.dbapi_connection)
        if immediate:
            writer.acquire()
            dbapi_connection.writer = writer
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            dbapi_connection.release_writer()
            raise


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """No pre-ping of pooled connections (a round trip per transaction): `transaction.run`
    runs a transaction again when its connection turns out dead before the commit."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30, "factory": _SQLiteConnection},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
    )


# Session.info key: opens an autocommit connection beside the request's transaction, where
# the database allows it (PostgreSQL; not SQLite's single writer, nor tests that run inside
# one outer transaction). For tiny statements that must not hold locks until the request
# commits, such as taking a ticket number.
AUTOCOMMIT_CONNECT = "dispatch.autocommit_connect"


def autocommit_connect(session: Session) -> Callable[[], Connection] | None:
    connect: Callable[[], Connection] | None = session.info.get(AUTOCOMMIT_CONNECT)
    return connect


class Database:
    """Hands out sessions; a writing session announces itself so SQLite can lock early."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        if isinstance(bind, Connection):
            # Tests run inside one outer transaction; every unit of work is a savepoint.
            self._reader = sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            self._writer = self._reader
        else:
            info = {}
            if bind.dialect.name == "postgresql":
                info[AUTOCOMMIT_CONNECT] = bind.execution_options(
                    isolation_level="AUTOCOMMIT"
                ).connect
            self._reader = sessionmaker(bind=bind, expire_on_commit=False, info=info)
            self._writer = sessionmaker(
                bind=bind.execution_options(dispatch_write=True),
                expire_on_commit=False,
                info=info,
            )
        for maker in {self._reader, self._writer}:
            transaction.install(maker)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10, echo: bool = False) -> Database:
        return cls(make_engine(url, pool_size=pool_size, echo=echo))

    @property
    def dialect(self) -> str:
        return self.bind.dialect.name

    def session(self, *, write: bool = True) -> Session:
        return (self._writer if write else self._reader)()

    def dispose(self) -> None:
        if isinstance(self.bind, Engine):
            self.bind.dispose()
