"""The public POST /forms/:token: each encoding, the default and custom mappings, what a
submission must carry, the contact it links, the honeypot and the counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from dispatch.audit.models import AuditLog
from dispatch.settings import Settings
from tests.attachments.helpers import pdf, png
from tests.categories.helpers import activity
from tests.conftest import Api
from tests.webforms.helpers import (
    FILE_LIMIT,
    JSON_ACCEPT,
    Json,
    brand_tickets,
    forms_path,
    make_form,
    submit_url,
)

TEXT = {"Content-Type": "text/plain"}
JSON_BODY = {"Content-Type": "application/json"}
FILLED = {
    "email": "Ann@Example.com",
    "name": "Ann Lee",
    "subject": "Order never arrived",
    "message": "I ordered a lamp two weeks ago.",
    "priority": "High",
    "orderNumber": "A-1001",
}


def post(api: Api, form: Json, **kw: Any) -> Any:
    headers = {**JSON_ACCEPT, **kw.pop("headers", {})}
    return api.client.post(submit_url(form), headers=headers, **kw)


def ticket_of(api: Api, brand: Json, answer: Any) -> Json:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True
    ticket: Json = api.ok("get", f"/brands/{brand['id']}/tickets/{body['ticket']['id']}")
    return ticket


def test_a_urlencoded_submission_opens_a_ticket_by_the_default_mapping(
    api: Api, brand: Json, form: Json
) -> None:
    answer = post(api, form, data=FILLED)
    ticket = ticket_of(api, brand, answer)

    assert answer.json()["ticket"] == {
        "id": ticket["id"],
        "ticketNumber": ticket["publicId"],
        "number": ticket["ticketNumber"],
        "title": "Order never arrived",
        "status": "open",
        "createdAt": ticket["createdAt"],
    }
    assert ticket["title"] == "Order never arrived"
    assert ticket["body"] == "I ordered a lamp two weeks ago."
    assert ticket["priority"] == "high"
    assert ticket["source"] == "web"
    assert ticket["sourceId"] == form["id"]
    assert ticket["sourceData"] == {"formId": form["id"], "formName": "Contact us"}
    assert (ticket["customerEmail"], ticket["customerName"]) == ("ann@example.com", "Ann Lee")
    assert ticket["customer"]["email"] == "ann@example.com"
    assert ticket["customFields"] == {"orderNumber": "A-1001"}


def test_the_customer_opens_the_ticket_through_the_web_channel(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    ticket = ticket_of(api, brand, post(api, form, data=FILLED))
    [entry] = activity(session, brand["id"], event="ticket.created")
    assert isinstance(entry, AuditLog)
    assert entry.ticket_id == ticket["id"]
    assert entry.source == "web"
    assert entry.performed_by["type"] == "customer"
    assert entry.performed_by["contactId"] == ticket["customerId"]
    assert ticket["createdBy"] == "ann@example.com"


def test_an_existing_contact_is_reused(api: Api, brand: Json, form: Json) -> None:
    contact = api.ok(
        "post", f"/brands/{brand['id']}/contacts", 201, json={"email": "ann@example.com"}
    )
    ticket = ticket_of(api, brand, post(api, form, data={"email": "ANN@example.com"}))
    assert ticket["customerId"] == contact["id"]


def test_a_json_submission_opens_a_ticket(api: Api, brand: Json, form: Json) -> None:
    body = {**FILLED, "newsletter": True, "topics": ["billing", "shipping"]}
    ticket = ticket_of(api, brand, post(api, form, json=body))
    assert ticket["title"] == "Order never arrived"
    assert ticket["customFields"] == {
        "orderNumber": "A-1001",
        "newsletter": True,
        "topics": ["billing", "shipping"],
    }


def test_a_multipart_submission_attaches_its_files(api: Api, brand: Json, form: Json) -> None:
    files = [
        ("attachments", ("photo.png", png(500), "image/png")),
        ("attachments", ("invoice.pdf", pdf(), "application/pdf")),
        ("empty", ("", b"", "application/octet-stream")),  # a file input left empty
    ]
    ticket = ticket_of(api, brand, post(api, form, data=FILLED, files=files))
    assert ticket["attachmentCount"] == 2
    listed = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}/attachments")
    assert sorted(a["filename"] for a in listed) == ["invoice.pdf", "photo.png"]
    assert "empty" not in ticket["customFields"]


def test_form_text_is_read_as_the_custom_fields_types(api: Api, brand: Json, form: Json) -> None:
    b = f"/brands/{brand['id']}/fields/ticket"
    api.ok("post", b, 201, json={"key": "quantity", "label": "Quantity", "type": "number"})
    api.ok("post", b, 201, json={"key": "gift", "label": "Gift", "type": "boolean"})
    topics = {"key": "topics", "label": "Topics", "type": "multiselect", "options": ["a", "b"]}
    api.ok("post", b, 201, json=topics)
    data = {"subject": "Order", "quantity": "3", "gift": "on", "topics": "b", "note": "7"}
    ticket = ticket_of(api, brand, post(api, form, data=data))
    assert ticket["customFields"] == {"quantity": 3, "gift": True, "topics": ["b"], "note": "7"}

    refused = post(api, form, data={"subject": "Order", "quantity": "three"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "customFields.quantity"


def test_repeated_fields_become_a_list(api: Api, brand: Json, form: Json) -> None:
    encoded = urlencode([("subject", "Hi"), ("colors", "red"), ("colors", "blue")])
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    ticket = ticket_of(api, brand, post(api, form, content=encoded, headers=form_type))
    assert ticket["customFields"] == {"colors": ["red", "blue"]}


def test_a_custom_mapping_renames_fields_and_keeps_the_default_for_the_rest(
    api: Api, brand: Json
) -> None:
    form = make_form(
        api,
        brand,
        fieldMapping={
            "your-email": "customerEmail",
            "topic": "title",
            "details": "body",
            "urgency": "priority",
            "order": "customFields.orderId",
        },
    )
    data = {
        "your-email": "bo@example.com",
        "topic": "Refund",
        "details": "Please refund order 7.",
        "urgency": "urgent",
        "order": "7",
        "name": "Bo",
    }
    ticket = ticket_of(api, brand, post(api, form, data=data))
    assert (ticket["title"], ticket["body"], ticket["priority"]) == (
        "Refund",
        "Please refund order 7.",
        "urgent",
    )
    assert (ticket["customerEmail"], ticket["customerName"]) == ("bo@example.com", "Bo")
    assert ticket["customFields"] == {"orderId": "7"}


def test_without_a_subject_the_title_is_the_messages_first_line(
    api: Api, brand: Json, form: Json
) -> None:
    ticket = ticket_of(api, brand, post(api, form, data={"message": "Broken zip\nOn the bag."}))
    assert ticket["title"] == "Broken zip"
    assert ticket["customerEmail"] is None
    assert ticket["customerId"] is None
    assert ticket["createdBy"] == "Contact us"


def test_with_only_an_email_the_title_says_who_wrote(api: Api, brand: Json, form: Json) -> None:
    ticket = ticket_of(api, brand, post(api, form, data={"email": "cy@example.com"}))
    assert ticket["title"] == "Web form message from cy@example.com"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"name": "Ann", "phone": "123"}, 422, "empty_submission"),
        ({"email": "   ", "subject": " "}, 422, "empty_submission"),
        ({"email": "not an address"}, 422, "invalid_email"),
        ({"subject": "Hi", "priority": "asap"}, 422, "validation_error"),
        ({"subject": "x" * 501}, 422, "validation_error"),
    ],
)
def test_unusable_submissions_are_refused_and_nothing_is_written(
    api: Api, brand: Json, form: Json, session: Session, data: Json, status: int, code: str
) -> None:
    answer = post(api, form, data=data)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert (body["success"], body["code"], body["status"]) == (False, code, status)
    assert body["error"] == body["message"]
    assert brand_tickets(session, brand) == []
    assert api.ok("get", forms_path(brand, f"/{form['id']}"))["submissionCount"] == 0


def test_too_many_files_are_refused(api: Api, brand: Json, form: Json, session: Session) -> None:
    files = [("attachments", (f"p{i}.png", png(), "image/png")) for i in range(6)]
    answer = post(api, form, data=FILLED, files=files)
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_many_files"
    assert brand_tickets(session, brand) == []


def test_a_file_over_the_limit_is_refused(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    files = [("attachments", ("big.png", png(FILE_LIMIT + 1), "image/png"))]
    answer = post(api, form, data=FILLED, files=files)
    assert answer.status_code == 413
    assert answer.json()["code"] == "attachment_too_large"
    assert brand_tickets(session, brand) == []


def test_a_file_whose_bytes_contradict_its_type_is_refused(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    files = [("attachments", ("photo.png", pdf(), "image/png"))]
    answer = post(api, form, data=FILLED, files=files)
    assert answer.status_code == 422
    assert answer.json()["code"] == "content_type_mismatch"
    assert brand_tickets(session, brand) == []


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"content": b"subject=hi", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        (
            {"content": b"{nope", "headers": {"Content-Type": "application/json"}},
            422,
            "invalid_json",
        ),
        (
            {"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
            422,
            "validation_error",
        ),
        (
            {"content": b'{"subject": NaN}', "headers": {"Content-Type": "application/json"}},
            422,
            "invalid_json",
        ),
        ({"json": {"subject": {"nested": 1}}}, 422, "validation_error"),
    ],
)
def test_malformed_bodies_are_refused(
    api: Api, brand: Json, form: Json, session: Session, kwargs: Json, status: int, code: str
) -> None:
    answer = post(api, form, **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code
    assert brand_tickets(session, brand) == []


def test_a_filled_honeypot_is_answered_as_a_success_and_dropped(
    api: Api, brand: Json, session: Session
) -> None:
    form = make_form(api, brand, honeypotField="website")
    answer = post(api, form, data={**FILLED, "website": "http://spam.example"})
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "ticket": None}
    assert brand_tickets(session, brand) == []
    assert api.ok("get", forms_path(brand, f"/{form['id']}"))["submissionCount"] == 0


def test_an_empty_honeypot_lets_the_submission_through_without_keeping_it(
    api: Api, brand: Json
) -> None:
    form = make_form(api, brand, honeypotField="website")
    ticket = ticket_of(api, brand, post(api, form, data={**FILLED, "website": ""}))
    assert "website" not in ticket["customFields"]


def test_submissions_are_counted(api: Api, brand: Json, form: Json, frozen_clock: Any) -> None:
    for _ in range(2):
        ticket_of(api, brand, post(api, form, data={"subject": "Hello"}))
    counted = api.ok("get", forms_path(brand, f"/{form['id']}"))
    assert counted["submissionCount"] == 2
    assert counted["lastSubmissionAt"] == "2026-01-15T09:00:00Z"


def test_a_disabled_form_is_not_found(api: Api, brand: Json, form: Json, session: Session) -> None:
    api.ok("patch", forms_path(brand, f"/{form['id']}"), json={"enabled": False})
    answer = post(api, form, data=FILLED)
    assert answer.status_code == 404
    assert answer.json()["code"] == "form_not_found"
    assert brand_tickets(session, brand) == []

    api.ok("patch", forms_path(brand, f"/{form['id']}"), json={"enabled": True})
    ticket_of(api, brand, post(api, form, data=FILLED))


@pytest.mark.parametrize("token", ["ft_unknown", "x" * 200])
def test_an_unknown_token_is_not_found(api: Api, token: str) -> None:
    answer = api.client.post(f"/forms/{token}", data=FILLED, headers=JSON_ACCEPT)
    assert answer.status_code == 404
    assert answer.json()["success"] is False


def test_a_deleted_brands_form_is_not_found(api: Api, brand: Json, form: Json) -> None:
    assert api.delete(f"/brands/{brand['id']}?confirm=true").status_code in (200, 204)
    assert post(api, form, data=FILLED).status_code == 404


def test_a_body_over_the_submission_cap_is_refused_before_it_is_read(
    api: Api, brand: Json, form: Json, session: Session
) -> None:
    # The cap is 5 files of the per-file limit and 1 MiB for the fields.
    files = [("attachments", ("big.png", png(5 * FILE_LIMIT + 1024 * 1024 + 1), "image/png"))]
    answer = post(api, form, data=FILLED, files=files)
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    assert brand_tickets(session, brand) == []


def test_a_json_body_has_the_apis_json_cap(api: Api, brand: Json, form: Json) -> None:
    answer = post(api, form, json={"subject": "Hi", "message": "x" * (1024 * 1024)})
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


def test_the_default_caps_are_twenty_megabytes_a_file_and_five_files() -> None:
    per_file = Settings.model_fields["form_file_max_bytes"].default
    assert per_file == 20 * 1024 * 1024
    settings = Settings(form_file_max_bytes=per_file)
    assert settings.form_body_max_bytes == 5 * per_file + 1024 * 1024
