"""The transaction runner and the side-state that follows transactions and savepoints:
status count deltas, stored files, the workers' wake-up; deadlocks run again."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dispatch.accounts import service as accounts
from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.brands import service as brands
from dispatch.brands.models import Brand
from dispatch.brands.schemas import BrandCreate
from dispatch.core import transaction
from dispatch.core.actor import Actor
from dispatch.core.db import Database, make_engine
from dispatch.statuses.models import StatusTicketCount
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import TicketCreate
from tests.attachments.helpers import png, stored_files
from tests.tickets.helpers import assert_counts_agree


class Boom(Exception):
    pass


@pytest.fixture
def owner(database: Database) -> tuple[Actor, str]:
    def setup(session: Session) -> tuple[Actor, str]:
        _account, issued = accounts.create_account(session, name="Tx")
        actor = accounts.actor_for(issued.record)
        brand = brands.create_brand(session, actor, BrandCreate.model_validate({"name": "Tx"}))
        return actor, brand.id

    return transaction.run(database, setup)


def _ticket(session: Session, actor: Actor, brand_id: str, title: str = "Hello") -> Ticket:
    brand = session.get(Brand, brand_id)
    assert brand is not None
    created = tickets.create_ticket(
        session, actor, brand, TicketCreate.model_validate({"title": title})
    )
    found = session.get(Ticket, created.id)
    assert found is not None
    return found


def _counter_rows(session: Session, brand_id: str) -> int:
    stmt = select(func.count()).select_from(StatusTicketCount)
    return int(session.scalar(stmt.where(StatusTicketCount.brand_id == brand_id)) or 0)


def test_a_failed_plain_savepoint_keeps_the_counts_recorded_before_it(
    database: Database, session: Session, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        _ticket(s, actor, brand_id)
        with pytest.raises(Boom), s.begin_nested():
            raise Boom()

    transaction.run(database, work)

    assert sum(assert_counts_agree(session, brand_id).values()) == 1


def test_a_failed_savepoint_drops_only_what_it_recorded(
    database: Database, session: Session, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        _ticket(s, actor, brand_id, "kept")
        with contextlib.suppress(Boom), s.begin_nested():
            _ticket(s, actor, brand_id, "dropped")
            raise Boom()
        _ticket(s, actor, brand_id, "kept too")

    transaction.run(database, work)

    assert sum(assert_counts_agree(session, brand_id).values()) == 2


def test_nested_savepoints_each_keep_or_drop_their_own_share(
    database: Database, session: Session, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        with s.begin_nested():
            _ticket(s, actor, brand_id, "outer")
            with contextlib.suppress(Boom), s.begin_nested():
                _ticket(s, actor, brand_id, "inner, dropped")
                raise Boom()
            with s.begin_nested():
                _ticket(s, actor, brand_id, "inner, released")

    transaction.run(database, work)

    assert sum(assert_counts_agree(session, brand_id).values()) == 2


def test_a_released_savepoint_writes_no_counter_rows_before_the_outer_commit(
    database: Database, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner
    seen: list[int] = []

    def work(s: Session) -> None:
        for title in ("one", "two"):
            with s.begin_nested():
                _ticket(s, actor, brand_id, title)
            # Bulk changes lock one ticket after another: counter rows written here
            # would be locked while later tickets are still to be taken.
            seen.append(_counter_rows(s, brand_id))

    transaction.run(database, work)

    assert seen == [0, 0]
    assert transaction.run(database, lambda s: _counter_rows(s, brand_id)) >= 1


def test_everything_is_discarded_when_the_transaction_rolls_back(
    database: Database, session: Session, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        _ticket(s, actor, brand_id)
        raise Boom()

    with pytest.raises(Boom):
        transaction.run(database, work)

    assert assert_counts_agree(session, brand_id) == {}


@pytest.fixture
def storage_bound(app: Any) -> Iterator[None]:
    with attachment_config.using(attachment_config.for_app(app)):
        yield


@pytest.mark.usefixtures("storage_bound")
def test_files_stored_in_a_failed_savepoint_are_deleted_and_the_others_kept(
    database: Database, settings: Any, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        brand = s.get(Brand, brand_id)
        assert brand is not None
        ticket = _ticket(s, actor, brand_id)
        attachments.store_bytes(
            s, actor, brand, ticket, filename="kept.png", content_type="image/png", data=png()
        )
        with contextlib.suppress(Boom), s.begin_nested():
            attachments.store_bytes(
                s, actor, brand, ticket, filename="gone.png", content_type="image/png", data=png()
            )
            raise Boom()

    transaction.run(database, work)

    assert len(stored_files(settings)) == 1


@pytest.mark.usefixtures("storage_bound")
def test_files_stored_by_a_transaction_that_rolls_back_are_deleted(
    database: Database, settings: Any, owner: tuple[Actor, str]
) -> None:
    actor, brand_id = owner

    def work(s: Session) -> None:
        brand = s.get(Brand, brand_id)
        assert brand is not None
        ticket = _ticket(s, actor, brand_id)
        attachments.store_bytes(
            s, actor, brand, ticket, filename="a.png", content_type="image/png", data=png()
        )
        raise Boom()

    with pytest.raises(Boom):
        transaction.run(database, work)

    assert stored_files(settings) == []


class _Sqlstate(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlocked_transaction_runs_again_and_its_first_try_leaves_nothing(
    database: Database, session: Session, owner: tuple[Actor, str], sqlstate: str
) -> None:
    actor, brand_id = owner
    tries = 0

    def work(s: Session) -> int:
        nonlocal tries
        tries += 1
        _ticket(s, actor, brand_id, f"try {tries}")
        if tries == 1:
            raise OperationalError("UPDATE ...", {}, _Sqlstate(sqlstate))
        return tries

    assert transaction.run(database, work) == 2
    titles = session.scalars(select(Ticket.title).where(Ticket.brand_id == brand_id)).all()
    assert titles == ["try 2"]
    assert sum(assert_counts_agree(session, brand_id).values()) == 1


def test_retries_are_bounded_and_other_errors_are_not_retried(database: Database) -> None:
    tries = 0

    def deadlocks(_s: Session) -> None:
        nonlocal tries
        tries += 1
        raise OperationalError("UPDATE ...", {}, _Sqlstate("40P01"))

    with pytest.raises(OperationalError):
        transaction.run(database, deadlocks)
    assert tries == transaction.ATTEMPTS

    tries = 0

    def fails(_s: Session) -> None:
        nonlocal tries
        tries += 1
        raise OperationalError("UPDATE ...", {}, _Sqlstate("23505"))

    with pytest.raises(OperationalError):
        transaction.run(database, fails)
    assert tries == 1


def _lost(statement: str) -> OperationalError:
    closed = Exception("server closed the connection")
    return OperationalError(statement, {}, closed, connection_invalidated=True)


def test_a_connection_lost_before_the_commit_runs_the_transaction_again(
    database: Database, session: Session, owner: tuple[Actor, str]
) -> None:
    """Pooled connections are not pinged: one a database restart broke fails its first
    statement, and the transaction runs again on a fresh one."""
    actor, brand_id = owner
    tries = 0

    def work(s: Session) -> int:
        nonlocal tries
        tries += 1
        _ticket(s, actor, brand_id, f"try {tries}")
        if tries == 1:
            raise _lost("SELECT ...")
        return tries

    assert transaction.run(database, work) == 2
    titles = session.scalars(select(Ticket.title).where(Ticket.brand_id == brand_id)).all()
    assert titles == ["try 2"]


def test_a_connection_lost_during_the_commit_is_not_run_again(database: Database) -> None:
    """The commit may have reached the database: running the work again could do it twice."""
    tries = 0

    def lose(_s: Session, _items: list[str]) -> None:
        raise _lost("COMMIT")

    kind = transaction.SideState[str]("lost at commit", write=lose)

    def work(s: Session) -> None:
        nonlocal tries
        tries += 1
        transaction.record(s, kind, "item")

    with pytest.raises(OperationalError):
        transaction.run(database, work)
    assert tries == 1


def test_requests_recover_when_the_database_drops_every_connection(
    committed_database: Database, database_url: str
) -> None:
    """A database restart, as PostgreSQL's pooled connections see it: each is terminated.
    The next transactions succeed without any error reaching their callers."""
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating server connections is PostgreSQL's")
    database = committed_database
    sessions = [database.session() for _ in range(6)]  # more than a run's attempts
    pids = {_backend_pid(session) for session in sessions}
    for session in sessions:
        session.commit()
        session.close()
    admin = make_engine(database_url, pool_size=1)
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(:p)"),
            {"p": sorted(pids)},
        )
        conn.commit()
    admin.dispose()
    after = [transaction.run(database, _backend_pid) for _ in range(3)]
    assert len(pids) == 6
    assert not pids & set(after)


def _backend_pid(session: Session) -> int:
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    assert isinstance(pid, int)
    return pid


def test_what_is_recorded_before_the_session_begins_is_written_at_its_commit(
    database: Database,
) -> None:
    """A fresh session has no transaction until it first runs SQL: items recorded before
    then (an activity entry, say) belong to the transaction that begins next."""
    written: list[list[str]] = []
    kind = transaction.SideState[str]("test items", write=lambda _s, items: written.append(items))
    with database.session() as session:
        transaction.record(session, kind, "before any SQL")
        session.commit()
    assert written == [["before any SQL"]]
