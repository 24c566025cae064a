"""What a ticket can arrive with besides its fields: watchers, pending uploads
(`attachmentIds`) and `notifyCustomer`."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.attachments.models import Attachment
from dispatch.brands.models import Brand
from dispatch.core.errors import ValidationFailed
from dispatch.core.events import Event
from dispatch.tickets import service as tickets
from dispatch.tickets.schemas import TicketCreate
from tests.attachments.helpers import attachments_path, pdf, png, upload, upload_pending
from tests.conftest import Api, make_ticket
from tests.contacts.helpers import block_sender, contact_path, make_contact
from tests.tickets.helpers import (
    add_member,
    committed_brand,
    error_fields,
    events_of,
    get_ticket,
    listed_ids,
    patch_ticket,
    problem,
    ticket_logs,
    ticket_rows,
    tickets_path,
)
from tests.watchers.helpers import list_watchers, recipients

Json = dict[str, Any]


def notices(session: Session, brand: Json, reason: str = "ticket_created") -> list[Event]:
    """`notification.requested` rows of the brand with this reason."""
    session.expire_all()
    stmt = (
        select(Event)
        .where(Event.brand_id == brand["id"], Event.type == "notification.requested")
        .order_by(Event.position)
    )
    return [e for e in session.scalars(stmt) if e.data.get("reason") == reason]


# --- Watchers -----------------------------------------------------------------------------


def test_create_adds_watchers_given_as_emails_or_objects(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(
        api,
        brand,
        watchers=[
            "Ops@Example.com",
            {"memberEmail": "lee@example.com", "memberName": "Lee"},
            {"memberEmail": "quiet@example.com", "notifyOnComment": False},
        ],
    )

    listed = list_watchers(api, brand, ticket)
    assert [w["memberEmail"] for w in listed] == [
        "ops@example.com",
        "lee@example.com",
        "quiet@example.com",
    ]
    assert listed[1]["memberName"] == "Lee"
    assert [w["notifyOnComment"] for w in listed] == [True, True, False]
    assert all(w["ticketId"] == ticket["id"] for w in listed)
    assert len(events_of(session, ticket["id"])) >= 4
    assert [e.type for e in events_of(session, ticket["id"])][:1] == ["ticket.created"]
    created = [e for e in events_of(session, ticket["id"]) if e.type == "watcher.created"]
    assert [e.data["memberEmail"] for e in created] == [w["memberEmail"] for w in listed]
    logged = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "watcher.created"]
    assert len(logged) == 3


def test_a_watcher_named_by_member_id_is_that_team_member(api: Api, brand: Json) -> None:
    member = add_member(api, "dana@acme.com", "Dana")

    ticket = make_ticket(api, brand, watchers=[{"memberId": member["id"]}])

    [watcher] = list_watchers(api, brand, ticket)
    assert watcher["memberId"] == member["id"]
    assert watcher["memberEmail"] == "dana@acme.com"
    assert watcher["memberName"] == "Dana"


def test_repeated_watcher_addresses_are_added_once(api: Api, brand: Json) -> None:
    member = add_member(api, "dana@acme.com", "Dana")

    ticket = make_ticket(
        api, brand, watchers=["dana@acme.com", "DANA@acme.com", {"memberId": member["id"]}]
    )

    [watcher] = list_watchers(api, brand, ticket)
    assert watcher["memberEmail"] == "dana@acme.com"
    assert watcher["memberId"] == member["id"]


def test_watchers_added_on_create_hear_of_later_status_changes(
    api: Api, brand: Json, session: Session
) -> None:
    ticket = make_ticket(
        api,
        brand,
        watchers=[
            "ops@example.com",
            {"memberEmail": "mute@example.com", "notifyOnStatusChange": False},
        ],
    )

    patch_ticket(api, brand, ticket, status="pending")

    assert recipients(session, ticket) == ["ops@example.com"]


@pytest.mark.parametrize(
    ("watchers", "field"),
    [
        (["ok@example.com", {"memberId": "user_ghost"}], "watchers.1.memberId"),
        (["not-an-email"], "watchers.0"),
        ([{}], "watchers.0"),
    ],
)
def test_bad_watchers_are_422_and_nothing_is_created(
    api: Api, brand: Json, session: Session, watchers: list[Any], field: str
) -> None:
    response = api.post(tickets_path(brand), json={"title": "x", "watchers": watchers})

    fields = error_fields(problem(response, 422))
    assert any(f.startswith(field) for f in fields), fields
    assert ticket_rows(session, brand["id"]) == 0
    assert make_ticket(api, brand)["ticketNumber"] == 1001


# --- Pending uploads ----------------------------------------------------------------------


def test_pending_uploads_named_on_create_are_attached(
    api: Api, brand: Json, session: Session
) -> None:
    photo = upload_pending(api, brand, png(), "photo.png")
    invoice = upload_pending(api, brand, pdf(), "invoice.pdf", "application/pdf")

    ticket = make_ticket(api, brand, attachmentIds=[photo["id"], invoice["id"]])

    assert ticket["attachmentCount"] == 2
    assert get_ticket(api, brand, ticket)["attachmentCount"] == 2
    listed = api.ok("get", attachments_path(brand, ticket))
    assert sorted(a["id"] for a in listed) == sorted([photo["id"], invoice["id"]])
    assert {a["ticketId"] for a in listed} == {ticket["id"]}
    attached = [e for e in events_of(session, ticket["id"]) if e.type == "attachment.created"]
    assert sorted(e.data["id"] for e in attached) == sorted([photo["id"], invoice["id"]])
    logged = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "attachment.uploaded"]
    assert len(logged) == 2
    assert all(e["metadata"]["fromPendingUpload"] is True for e in logged)


def test_a_repeated_attachment_id_is_attached_once(api: Api, brand: Json) -> None:
    photo = upload_pending(api, brand, png())

    ticket = make_ticket(api, brand, attachmentIds=[photo["id"], photo["id"]])

    assert ticket["attachmentCount"] == 1


def test_the_has_attachments_filter_follows_attached_files(api: Api, brand: Json) -> None:
    photo = upload_pending(api, brand, png())
    with_file = make_ticket(api, brand, attachmentIds=[photo["id"]])
    without = make_ticket(api, brand)
    uploaded_later = make_ticket(api, brand)
    upload(api, brand, uploaded_later, png())

    assert sorted(listed_ids(api, brand, hasAttachments="true")) == sorted(
        [with_file["id"], uploaded_later["id"]]
    )
    assert listed_ids(api, brand, hasAttachments="false") == [without["id"]]
    assert len(listed_ids(api, brand)) == 3

    api.ok("delete", attachments_path(brand, with_file, f"/{photo['id']}"), 204)

    assert listed_ids(api, brand, hasAttachments="true") == [uploaded_later["id"]]
    assert get_ticket(api, brand, with_file)["attachmentCount"] == 0


@pytest.fixture
def unusable_uploads(api: Api, brand: Json, other_api: Api, other_brand: Json) -> Json:
    """Attachment ids a new ticket of `brand` cannot take."""
    attached = upload_pending(api, brand, png())
    make_ticket(api, brand, attachmentIds=[attached["id"]])
    on_ticket = upload(api, brand, make_ticket(api, brand), png())["attachment"]
    foreign = other_api.ok(
        "post",
        f"/brands/{other_brand['id']}/attachments/pending/upload",
        201,
        files={"file": ("x.png", png(), "image/png")},
    )
    started = api.ok(
        "post",
        f"/brands/{brand['id']}/attachments/pending",
        201,
        json={"filename": "big.png", "contentType": "image/png", "size": 100},
    )
    return {
        "attached": attached["id"],
        "on_ticket": on_ticket["id"],
        "foreign": foreign["id"],
        "not_uploaded": started["attachmentId"],
        "unknown": "att_nope",
    }


@pytest.mark.parametrize("which", ["attached", "on_ticket", "foreign", "not_uploaded", "unknown"])
def test_an_unusable_attachment_id_is_422_and_nothing_is_created(
    api: Api, brand: Json, session: Session, unusable_uploads: Json, which: str
) -> None:
    good = upload_pending(api, brand, png())
    tickets_before = ticket_rows(session, brand["id"])
    number_before = max(t["ticketNumber"] for t in api.ok("get", tickets_path(brand))["data"])

    response = api.post(
        tickets_path(brand),
        json={"title": "x", "attachmentIds": [good["id"], unusable_uploads[which]]},
    )

    body = problem(response, 422, "invalid_attachment_ids")
    assert error_fields(body) == ["attachmentIds"]
    assert unusable_uploads[which] in body["message"]
    assert ticket_rows(session, brand["id"]) == tickets_before
    session.expire_all()
    assert session.get(Attachment, good["id"]).ticket_id is None  # type: ignore[union-attr]
    assert make_ticket(api, brand)["ticketNumber"] == number_before + 1


# --- notifyCustomer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "customer",
    [
        {"customerEmail": "Jane@Example.com"},
        {"customFields": {"requesterEmail": "jane@example.com"}},
    ],
)
def test_notify_customer_requests_the_ticket_created_email(
    api: Api, brand: Json, session: Session, customer: Json
) -> None:
    ticket = make_ticket(api, brand, title="Broken zipper", notifyCustomer=True, **customer)

    [notice] = notices(session, brand)
    assert notice.ticket_id == ticket["id"]
    assert notice.data == {
        "channel": "email",
        "recipient": "jane@example.com",
        "reason": "ticket_created",
        "ticketId": ticket["id"],
        "ticketNumber": ticket["publicId"],
        "ticketTitle": "Broken zipper",
    }
    types = [e.type for e in events_of(session, ticket["id"])]
    assert types.index("ticket.created") < types.index("notification.requested")


@pytest.mark.parametrize(
    "body",
    [
        {"customerEmail": "jane@example.com"},
        {"customerEmail": "jane@example.com", "notifyCustomer": False},
        {"notifyCustomer": True},
        {"notifyCustomer": True, "customerName": "No Address"},
    ],
)
def test_no_notice_without_notify_customer_or_without_an_address(
    api: Api, brand: Json, session: Session, body: Json
) -> None:
    make_ticket(api, brand, **body)

    assert notices(session, brand) == []


def test_no_notice_to_a_blocked_sender(api: Api, brand: Json, session: Session) -> None:
    block_sender(session, brand["id"], "spammer@example.com")

    ticket = make_ticket(api, brand, customerEmail="spammer@example.com", notifyCustomer=True)

    assert ticket["isSpam"] is True
    assert notices(session, brand) == []


def test_no_notice_to_a_contact_who_turned_email_off(
    api: Api, brand: Json, session: Session
) -> None:
    contact = make_contact(api, brand, "quiet@example.com", notifyEmail=False)

    ticket = make_ticket(api, brand, customerEmail="quiet@example.com", notifyCustomer=True)

    assert ticket["customerId"] == contact["id"]
    assert notices(session, brand) == []
    api.ok("patch", contact_path(brand, contact), json={"notifyEmail": True})
    make_ticket(api, brand, customerEmail="quiet@example.com", notifyCustomer=True)
    assert [n.data["recipient"] for n in notices(session, brand)] == ["quiet@example.com"]


def test_a_refused_create_requests_no_notice(api: Api, brand: Json, session: Session) -> None:
    response = api.post(
        tickets_path(brand),
        json={
            "title": "x",
            "customerEmail": "jane@example.com",
            "notifyCustomer": True,
            "attachmentIds": ["att_nope"],
        },
    )

    problem(response, 422, "invalid_attachment_ids")
    assert notices(session, brand) == []


# --- Ticket numbers of refused creates, with real commits ----------------------------------


@pytest.mark.committed
@pytest.mark.parametrize(
    "refused",
    [
        {"watchers": ["ok@example.com", {"memberId": "user_ghost"}]},
        {"attachmentIds": ["att_nope"]},
        {"categoryId": "cat_nope"},
    ],
)
def test_a_create_refused_for_what_it_names_takes_no_ticket_number(
    database_url: str, refused: Json
) -> None:
    with committed_brand(database_url) as (database, actor, brand_id):
        with database.session() as s:
            brand = s.get(Brand, brand_id)
            assert brand is not None
            with pytest.raises(ValidationFailed):
                tickets.create_ticket(
                    s, actor, brand, TicketCreate.model_validate({"title": "x", **refused})
                )
            s.rollback()
        with database.session() as s:
            brand = s.get(Brand, brand_id)
            assert brand is not None
            created = tickets.create_ticket(
                s, actor, brand, TicketCreate.model_validate({"title": "y"})
            )
            s.commit()

    assert created.ticket_number == 1001


def test_the_create_body_documents_watchers_uploads_and_notify_customer(client: Any) -> None:
    doc = client.get("/openapi.json").json()

    fields = doc["components"]["schemas"]["TicketCreate"]["properties"]

    assert {"watchers", "attachmentIds", "notifyCustomer", "customerEmail", "customerName"} <= set(
        fields
    )
