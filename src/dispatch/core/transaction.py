"""The one transaction runner, and the side-state that follows a transaction.

`run(database, work)` is how every caller (the API, the CLI, the worker, the SMTP
listener, the email jobs, later the dashboard and the portal) does its work: `work`
gets a session, and the runner commits once when it returns or rolls back when it
raises. A transaction that fails on a deadlock or a serialization failure is run again
(a bounded number of times, after a short jittered pause) before anything is answered.
Nothing else commits: services flush.

Side-state is what a transaction accumulates besides its rows and must settle at its
end: per-status count deltas written just before commit, the NOTIFY that wakes workers,
stored files to delete if the transaction does not commit. Each kind is a `SideState`;
`record(session, kind, item)` files an item under the innermost open transaction. The
items follow the savepoint stack: a savepoint that rolls back discards only what it
recorded (and runs the kind's `discard` for them), a released savepoint hands its items
to the enclosing transaction, and only the outermost commit writes them (`write`, inside
the transaction, just before COMMIT). This holds for plain `session.begin_nested()` too:
the listeners are installed on every session the `Database` makes.

On PostgreSQL a kind may instead give its write as a `CommitPart` (data-modifying WITH
clauses): the commit then runs every kind's part as one statement, one round trip for the
activity entries, status stays, counters and events of a write together.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Row, TextClause, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

if TYPE_CHECKING:
    from dispatch.core.db import Database

T = TypeVar("T")
log = logging.getLogger("dispatch.transaction")

# SQLSTATEs of failures that another try of the same transaction may not meet.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
ATTEMPTS = 4
_LEDGER = "dispatch.transaction.ledger"


@dataclass(frozen=True)
class CommitPart:
    """A side-state's write as part of the commit's one statement (PostgreSQL): WITH
    clauses (`name AS (INSERT ...)`, fixed text, parameters named after the kind) and
    their parameters; the one part that reads rows back gives the final SELECT and
    receives its rows."""

    clauses: tuple[str, ...]
    params: dict[str, Any]
    returning: str | None = None
    receive: Callable[[Sequence[Row[Any]]], None] | None = None


@dataclass(frozen=True, eq=False)
class SideState(Generic[T]):
    """A kind of side-state: `write(session, items)` runs before the outermost commit,
    `discard(items)` for the items of a savepoint or transaction that rolled back. On
    PostgreSQL `part(items)`, when given and not None, replaces `write`."""

    name: str
    write: Callable[[Session, list[T]], None] | None = None
    discard: Callable[[list[T]], None] | None = None
    part: Callable[[list[T]], CommitPart | None] | None = None


@dataclass
class _Frame:
    items: dict[SideState[Any], list[Any]] = field(default_factory=dict)
    rolled_back: bool = False

    def take(self, other: _Frame) -> None:
        for kind, items in other.items.items():
            self.items.setdefault(kind, []).extend(items)


@dataclass
class _Ledger:
    """One frame per open transaction of a session: the outermost first; and what the
    transaction has read and may read again (forgotten on any rollback)."""

    frames: list[_Frame] = field(default_factory=lambda: [_Frame()])
    memo: dict[Hashable, Any] = field(default_factory=dict)
    held: list[object] = field(default_factory=list)
    marks: set[Hashable] = field(default_factory=set)

    def merged(self) -> _Frame:
        merged = _Frame()
        for frame in self.frames:
            merged.take(frame)
        return merged


def _ledger(session: Session) -> _Ledger:
    ledger: _Ledger | None = session.info.get(_LEDGER)
    if ledger is None:
        ledger = session.info[_LEDGER] = _Ledger()
    return ledger


def record(session: Session, kind: SideState[T], item: T) -> None:
    """File `item` under the innermost open transaction of `session`."""
    _ledger(session).frames[-1].items.setdefault(kind, []).append(item)


def pending(session: Session, kind: SideState[T]) -> list[T]:
    """Every item of `kind` the open transactions hold, outermost first."""
    return list(_ledger(session).merged().items.get(kind, []))


def forget(session: Session, kind: SideState[T], unwanted: Callable[[T], bool]) -> None:
    """Drop the pending items of `kind` that `unwanted` picks, without discarding them."""
    for frame in _ledger(session).frames:
        if kind in frame.items:
            frame.items[kind] = [item for item in frame.items[kind] if not unwanted(item)]


def cached(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """`load()`, once per transaction for `key` (rows the transaction reads again and
    again: a brand's statuses). Whoever changes those rows calls `uncache`."""
    memo = _ledger(session).memo
    if key not in memo:
        memo[key] = load()
    value: T = memo[key]
    return value


_UNKNOWN = object()


def mark(session: Session, key: Hashable) -> None:
    """Note `key` until the outermost transaction ends (a savepoint's rollback keeps it:
    for what must err on the safe side, such as "this transaction changed a brand's
    statuses")."""
    _ledger(session).marks.add(key)


def marked(session: Session, key: Hashable) -> bool:
    return key in _ledger(session).marks


def remember(session: Session, key: Hashable, value: object) -> None:
    """What `cached(session, key, ...)` returns from now on in this transaction."""
    _ledger(session).memo[key] = value


@dataclass(frozen=True, eq=False)
class Fact:
    """Something about a row that a transaction learns as a column of a query it runs
    anyway (a write's ticket comes with the time of its newest comment, whether it has
    tags, watchers) and keeps, per row id, so that a later lookup needs no statement of
    its own. Whoever changes what it says updates or forgets it; any rollback forgets
    all."""

    name: str
    column: Any  # a scalar subquery or EXISTS correlated with the row's table

    def learn(self, session: Session, row_id: str, value: object) -> None:
        remember(session, (self.name, row_id), value)

    def forget(self, session: Session, row_ids: Collection[str]) -> None:
        memo = _ledger(session).memo
        for row_id in row_ids:
            memo.pop((self.name, row_id), None)

    def recall(self, session: Session, row_id: str, load: Callable[[], T]) -> T:
        """What the transaction knows, else `load()` (then known)."""
        return cached(session, (self.name, row_id), load)

    def says(self, session: Session, row_id: str, value: object) -> bool:
        """Whether the transaction knows the fact to be `value` for the row."""
        return bool(_ledger(session).memo.get((self.name, row_id), _UNKNOWN) == value)


def hold(session: Session, *rows: object) -> None:
    """Keep rows loaded alongside others (a ticket's customer) for the transaction: the
    session's identity map holds rows only weakly, and a later lookup should find them
    there instead of asking the database again."""
    _ledger(session).held.extend(row for row in rows if row is not None)


def uncache(session: Session, key: Hashable) -> None:
    _ledger(session).memo.pop(key, None)


def _discard(frame: _Frame) -> None:
    for kind, items in frame.items.items():
        if kind.discard is not None and items:
            try:
                kind.discard(items)
            except Exception:
                log.exception("discarding %s failed", kind.name)


def _on_create(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        _ledger(session).frames.append(_Frame())
    elif transaction.parent is None:
        # Items recorded before the session began (nothing had run SQL yet) belong to
        # this transaction: the last one's ledger went at its commit or rollback.
        session.info.setdefault(_LEDGER, _Ledger())


def _on_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint being released: its items wait for the outermost commit
    postgres = session.get_bind().dialect.name == "postgresql"
    parts: list[CommitPart] = []
    for kind, items in _ledger(session).merged().items.items():
        if kind.write is None or not items:
            continue
        part = kind.part(items) if postgres and kind.part is not None else None
        if part is None:
            kind.write(session, items)
        else:
            parts.append(part)
    if parts:
        _write_parts(session, parts)


# The commit statements, by their clauses: one per combination of kinds (a handful),
# each compiled once per process.
_COMBINED: dict[tuple[tuple[str, ...], str], TextClause] = {}


def _write_parts(session: Session, parts: list[CommitPart]) -> None:
    parts.sort(key=lambda part: part.clauses)
    readers = [part for part in parts if part.returning is not None]
    if len(readers) > 1:
        raise ValueError("only one part of a commit may read rows back")
    returning = readers[0].returning if readers and readers[0].returning else "SELECT 1"
    key = (tuple(clause for part in parts for clause in part.clauses), returning)
    statement = _COMBINED.get(key)
    if statement is None:
        # A WITH clause that modifies data runs whether or not the SELECT reads it.
        statement = _COMBINED[key] = text(f"WITH {', '.join(key[0])} {key[1]}")
    params = {name: value for part in parts for name, value in part.params.items()}
    rows = session.execute(statement, params).all()
    for reader in readers:
        if reader.receive is not None:
            reader.receive(rows)


def _on_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_LEDGER, None)


def _on_after_rollback(session: Session) -> None:
    # Fires while the transaction rolled back is still the innermost one.
    ledger: _Ledger | None = session.info.get(_LEDGER)
    if ledger is not None:
        ledger.frames[-1].rolled_back = True
        ledger.memo.clear()


def _on_end(session: Session, transaction: SessionTransaction) -> None:
    ledger: _Ledger | None = session.info.get(_LEDGER)
    if ledger is None:
        return
    if transaction.nested and len(ledger.frames) > 1:
        frame = ledger.frames.pop()
        if frame.rolled_back:
            _discard(frame)
        else:
            ledger.frames[-1].take(frame)
    elif transaction.parent is None:
        # The outermost transaction ended without its commit: nothing it held stays.
        session.info.pop(_LEDGER, None)
        _discard(ledger.merged())


def install(maker: sessionmaker[Session]) -> None:
    """Make every session of `maker` keep its side-state along its transactions."""
    event.listen(maker, "after_transaction_create", _on_create)
    event.listen(maker, "before_commit", _on_before_commit)
    event.listen(maker, "after_commit", _on_after_commit)
    event.listen(maker, "after_rollback", _on_after_rollback)
    event.listen(maker, "after_transaction_end", _on_end)


# --- the runner -------------------------------------------------------------------------


def is_retryable(error: BaseException) -> bool:
    """A deadlock or serialization failure: the same transaction, run again, may pass."""
    if not isinstance(error, DBAPIError):
        return False
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def _lost_connection(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and error.connection_invalidated


def run(
    database: Database,
    work: Callable[[Session], T],
    *,
    write: bool = True,
    attempts: int = ATTEMPTS,
) -> T:
    """Run `work` in one transaction and commit it; roll back when it raises. A deadlock
    or serialization failure runs it again, up to `attempts` times in all, and so does a
    connection found dead before the commit (a database restart broke the pooled
    connections: nothing of the transaction was kept, and the pool replaces them); one
    lost during the commit is not run again, as it may have committed. Pooled connections
    are not tested as they leave the pool (a round trip per transaction): this is the
    recovery. `write=False` opens a reading session (on SQLite it does not take the write
    lock); it commits too, which costs what a rollback would and leaves loaded objects
    readable."""
    for attempt in range(1, attempts + 1):
        session = database.session(write=write)
        committing = False
        try:
            result = work(session)
            committing = True
            session.commit()
            return result
        except BaseException as error:
            session.rollback()
            again = is_retryable(error) or (not committing and _lost_connection(error))
            if attempt == attempts or not again:
                raise
            log.info("retrying a transaction after %s (attempt %d)", error, attempt)
        finally:
            session.close()
        # Jittered and growing: transactions that collided do not collide again at once.
        time.sleep(random.uniform(0.005, 0.025) * attempt)  # noqa: S311 - not security
    raise AssertionError("unreachable")
