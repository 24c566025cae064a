"""The functions other domains call: pending_uploads and attach_pending (ticket create),
store_bytes (inbound email), move_to_ticket (merge); and bytes written in a transaction
that rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service
from dispatch.attachments.config import AttachmentConfig
from dispatch.attachments.errors import (
    AttachmentTooLarge,
    ContentTypeMismatch,
    InvalidAttachmentIds,
    UnknownComment,
)
from dispatch.brands.models import Brand
from dispatch.core.actor import Actor
from dispatch.core.errors import NotFound
from dispatch.settings import Settings
from dispatch.tickets.models import Ticket
from tests.attachments.helpers import (
    LIMIT,
    Json,
    activity,
    add_comment,
    attachment_rows,
    attachments_path,
    elf,
    events_of_type,
    local_path,
    pending_path,
    png,
    put_bytes,
    stored_files,
    tickets_path,
    upload,
    upload_pending,
)
from tests.conftest import Api, make_ticket


@pytest.fixture
def config(app: Any) -> Iterator[AttachmentConfig]:
    """The app's attachment config, current for service calls made by the test."""
    with attachment_config.using(attachment_config.for_app(app)) as bound:
        yield bound


def load(session: Session, brand: Json, ticket: Json) -> tuple[Brand, Ticket, Actor]:
    session.expire_all()
    found_brand = session.get(Brand, brand["id"])
    found_ticket = session.get(Ticket, ticket["id"])
    assert found_brand is not None
    assert found_ticket is not None
    return found_brand, found_ticket, Actor.system(found_brand.account_id, name="Mailroom")


def count_of(api: Api, brand: Json, ticket: Json) -> int:
    count: int = api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")["attachmentCount"]
    return count


def test_attach_pending_moves_pending_uploads_onto_the_ticket(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    first = upload_pending(api, brand, png(), filename="a.png")
    second = upload_pending(api, brand, png(300), filename="b.png")
    brand_row, ticket_row, actor = load(session, brand, ticket)

    uploads = service.pending_uploads(
        session, brand_row.id, [second["id"], first["id"], second["id"]]
    )
    attached = service.attach_pending(session, actor, brand_row, ticket_row, uploads)
    session.commit()

    assert [a.id for a in attached] == [second["id"], first["id"]]
    listed = api.ok("get", attachments_path(brand, ticket))
    assert {a["id"] for a in listed} == {first["id"], second["id"]}
    assert count_of(api, brand, ticket) == 2
    created = events_of_type(session, brand["id"], "attachment.created")
    assert [e.data["id"] for e in created] == [second["id"], first["id"]]
    assert all(e.data["ticketId"] == ticket["id"] for e in created)
    entries = [e for e in activity(session, brand["id"]) if e.ticket_id == ticket["id"]]
    assert [e.event for e in entries] == ["attachment.uploaded", "attachment.uploaded"]
    assert all(e.metadata_ and e.metadata_["fromPendingUpload"] for e in entries)


def test_pending_uploads_refuses_ids_that_are_not_unattached_uploads_of_the_brand(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    other_api: Api,
    other_brand: Json,
) -> None:
    good = upload_pending(api, brand, png())
    on_ticket = upload(api, brand, ticket, png())
    unconfirmed = api.ok(
        "post",
        pending_path(brand),
        201,
        json={"filename": "a.png", "contentType": "image/png", "size": 10},
    )
    foreign = upload_pending(other_api, other_brand, png())
    target = make_ticket(api, brand, title="Target")
    brand_row, _ticket_row, _actor = load(session, brand, target)

    for bad in (on_ticket["id"], unconfirmed["id"], foreign["id"], "att_missing"):
        with pytest.raises(InvalidAttachmentIds) as refused:
            service.pending_uploads(session, brand_row.id, [good["id"], bad])
        assert refused.value.errors == [
            {"field": "attachmentIds", "message": refused.value.message}
        ]
        assert bad in refused.value.message
        session.rollback()

    assert count_of(api, brand, target) == 0
    rows = {row.id: row for row in attachment_rows(session, brand["id"])}
    assert rows[good["id"]].ticket_id is None
    assert api.ok("get", attachments_path(brand, target)) == []


def test_attach_pending_with_no_ids_does_nothing(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    brand_row, ticket_row, actor = load(session, brand, ticket)

    assert service.attach_pending(session, actor, brand_row, ticket_row, []) == []
    assert ticket_row.version == ticket["version"]


def test_store_bytes_attaches_bytes_with_every_upload_check(
    api: Api, brand: Json, ticket: Json, session: Session, config: AttachmentConfig
) -> None:
    data = png(700)
    comment_id = add_comment(session, brand, ticket)
    brand_row, ticket_row, actor = load(session, brand, ticket)

    stored = service.store_bytes(
        session,
        actor,
        brand_row,
        ticket_row,
        filename="inline.png",
        content_type="image/png",
        data=data,
        comment_id=comment_id,
    )
    session.commit()

    assert stored.status == "UPLOADED"
    assert stored.comment_id == comment_id
    assert count_of(api, brand, ticket) == 1
    got = api.ok("get", attachments_path(brand, ticket, f"/{stored.id}"))
    assert api.client.get(local_path(got["downloadUrl"])).content == data
    [event] = events_of_type(session, brand["id"], "attachment.created")
    assert event.data["id"] == stored.id


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"content_type": "image/png", "data": elf()}, ContentTypeMismatch),
        ({"content_type": "image/png", "data": png(LIMIT + 1)}, AttachmentTooLarge),
        ({"content_type": "image/png", "data": png(), "comment_id": "cmt_none"}, UnknownComment),
    ],
)
def test_store_bytes_refuses_what_an_upload_would_and_keeps_nothing(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    settings: Settings,
    config: AttachmentConfig,
    kwargs: dict[str, Any],
    error: type[Exception],
) -> None:
    brand_row, ticket_row, actor = load(session, brand, ticket)

    with pytest.raises(error):
        service.store_bytes(session, actor, brand_row, ticket_row, filename="x.png", **kwargs)

    assert stored_files(settings) == []


def test_store_bytes_refuses_a_ticket_of_another_brand(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    config: AttachmentConfig,
    other_api: Api,
    other_brand: Json,
) -> None:
    foreign = make_ticket(other_api, other_brand)
    brand_row, _, actor = load(session, brand, ticket)
    _, foreign_row, _ = load(session, other_brand, foreign)

    with pytest.raises(NotFound):
        service.store_bytes(
            session,
            actor,
            brand_row,
            foreign_row,
            filename="x.png",
            content_type="image/png",
            data=png(),
        )


def test_bytes_stored_in_a_transaction_that_rolls_back_are_removed(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    settings: Settings,
    config: AttachmentConfig,
) -> None:
    brand_row, ticket_row, actor = load(session, brand, ticket)
    service.store_bytes(
        session,
        actor,
        brand_row,
        ticket_row,
        filename="x.png",
        content_type="image/png",
        data=png(),
    )
    assert len(stored_files(settings)) == 1

    session.rollback()

    assert stored_files(settings) == []
    assert attachment_rows(session, brand["id"]) == []


def test_move_to_ticket_moves_live_attachments_and_fixes_both_counts(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    target = make_ticket(api, brand, title="Target")
    kept = upload(api, brand, target, png(), filename="target.png")
    moved_one = upload(api, brand, ticket, png(), filename="one.png")
    moved_two = upload(api, brand, ticket, png(300), filename="two.png")
    deleted = upload(api, brand, ticket, png(400), filename="gone.png")
    api.ok("delete", attachments_path(brand, ticket, f"/{deleted['id']}"), 204)
    data = png(250)
    unconfirmed = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "later.png", "contentType": "image/png", "size": len(data)},
    )
    brand_row, source_row, actor = load(session, brand, ticket)
    _, target_row, _ = load(session, brand, target)

    moved = service.move_to_ticket(session, actor, brand_row, source_row, target_row)
    session.commit()

    assert moved == 3
    assert count_of(api, brand, ticket) == 0
    assert count_of(api, brand, target) == 3
    assert api.ok("get", attachments_path(brand, ticket)) == []
    listed = {a["id"] for a in api.ok("get", attachments_path(brand, target))}
    assert listed == {kept["id"], moved_one["id"], moved_two["id"]}
    # An upload in flight follows its ticket and is confirmed there.
    put_bytes(api, unconfirmed["uploadUrl"], data)
    api.ok("post", attachments_path(brand, target, f"/{unconfirmed['id']}/confirm"))
    assert count_of(api, brand, target) == 4


def test_move_to_ticket_refuses_tickets_of_another_brand(
    api: Api,
    brand: Json,
    ticket: Json,
    session: Session,
    other_api: Api,
    other_brand: Json,
) -> None:
    upload(api, brand, ticket, png())
    foreign = make_ticket(other_api, other_brand)
    brand_row, source_row, actor = load(session, brand, ticket)
    _, foreign_row, _ = load(session, other_brand, foreign)

    with pytest.raises(NotFound):
        service.move_to_ticket(session, actor, brand_row, source_row, foreign_row)
    session.rollback()

    assert count_of(api, brand, ticket) == 1
    assert count_of(other_api, other_brand, foreign) == 0
