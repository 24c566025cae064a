"""What attachments do to their ticket: attachmentCount, the activity log and the events, in
the same transaction as the change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.attachments.helpers import (
    Json,
    activity,
    attachments_path,
    events_of_type,
    pdf,
    png,
    put_bytes,
    tickets_path,
    upload,
    upload_pending,
)
from tests.conftest import Api


def ticket_now(api: Api, brand: Json, ticket: Json) -> Json:
    got: Json = api.ok("get", f"{tickets_path(brand)}/{ticket['id']}")
    return got


def test_attachment_count_follows_uploads_and_deletes(api: Api, brand: Json, ticket: Json) -> None:
    first = upload(api, brand, ticket, png())
    upload(api, brand, ticket, pdf(), filename="a.pdf", content_type="application/pdf")
    data = png(300)
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "b.png", "contentType": "image/png", "size": len(data)},
    )
    assert ticket_now(api, brand, ticket)["attachmentCount"] == 2
    put_bytes(api, started["uploadUrl"], data)
    api.ok("post", attachments_path(brand, ticket, f"/{started['id']}/confirm"))
    assert ticket_now(api, brand, ticket)["attachmentCount"] == 3

    api.ok("delete", attachments_path(brand, ticket, f"/{first['id']}"), 204)

    assert ticket_now(api, brand, ticket)["attachmentCount"] == 2
    assert len(api.ok("get", attachments_path(brand, ticket))) == 2


def test_upload_bumps_the_ticket_version_and_updated_at(
    api: Api, brand: Json, ticket: Json
) -> None:
    upload(api, brand, ticket, png())

    after = ticket_now(api, brand, ticket)

    assert after["version"] == ticket["version"] + 1
    assert after["updatedAt"] > ticket["updatedAt"]


def test_upload_writes_an_activity_entry_on_the_ticket(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    created = upload(api, brand, ticket, png(), filename="shot.png")

    [entry] = activity(session, brand["id"])
    logs = api.ok("get", f"{tickets_path(brand)}/{ticket['id']}/logs")

    assert entry.event == "attachment.uploaded"
    assert entry.entity_type == "attachment"
    assert entry.entity_id == created["id"]
    assert entry.ticket_id == ticket["id"]
    assert entry.metadata_ is not None
    assert entry.metadata_["filename"] == "shot.png"
    assert entry.performed_by["type"] == "api"
    assert "attachment.uploaded" in [log["event"] for log in logs]


def test_upload_emits_attachment_created_with_the_attachment_and_ticket_id(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    created = upload(api, brand, ticket, png())

    [event] = events_of_type(session, brand["id"], "attachment.created")

    assert event.ticket_id == ticket["id"]
    assert event.sequence == ticket["version"] + 1
    assert event.data == {**created["attachment"], "ticketId": ticket["id"]}


def test_delete_writes_activity_and_emits_attachment_deleted(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    created = upload(api, brand, ticket, png())

    api.ok("delete", attachments_path(brand, ticket, f"/{created['id']}"), 204)

    [event] = events_of_type(session, brand["id"], "attachment.deleted")
    assert event.data["id"] == created["id"]
    assert event.data["ticketId"] == ticket["id"]
    assert event.data["deletedAt"]
    assert [e.event for e in activity(session, brand["id"])] == [
        "attachment.uploaded",
        "attachment.deleted",
    ]


def test_deleted_attachment_is_gone_from_reads(api: Api, brand: Json, ticket: Json) -> None:
    created = upload(api, brand, ticket, png())
    path = attachments_path(brand, ticket, f"/{created['id']}")

    api.ok("delete", path, 204)

    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    assert ticket_now(api, brand, ticket)["attachmentCount"] == 0


def test_deleting_an_unconfirmed_upload_does_not_touch_the_count_or_emit(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    started = api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "b.png", "contentType": "image/png", "size": 10},
    )

    api.ok("delete", attachments_path(brand, ticket, f"/{started['id']}"), 204)

    assert ticket_now(api, brand, ticket)["attachmentCount"] == 0
    assert events_of_type(session, brand["id"], "attachment.deleted") == []
    assert [e.event for e in activity(session, brand["id"])] == ["attachment.deleted"]


def test_starting_an_upload_writes_no_activity_and_no_event(
    api: Api, brand: Json, ticket: Json, session: Session
) -> None:
    api.ok(
        "post",
        attachments_path(brand, ticket),
        201,
        json={"filename": "b.png", "contentType": "image/png", "size": 10},
    )

    assert activity(session, brand["id"]) == []
    assert events_of_type(session, brand["id"], "attachment.created") == []


def test_pending_upload_is_logged_for_the_brand_without_an_event(
    api: Api, brand: Json, session: Session
) -> None:
    created = upload_pending(api, brand, png())

    [entry] = activity(session, brand["id"])

    assert entry.event == "attachment.uploaded"
    assert entry.entity_id == created["id"]
    assert entry.ticket_id is None
    assert entry.metadata_ is not None
    assert entry.metadata_["pending"] is True
    assert events_of_type(session, brand["id"], "attachment.created") == []
