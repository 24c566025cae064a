"""Real-world MIME shapes (tests/email/corpus/*.eml), each with its outcome asserted:
what ticket or comment it becomes, with what text, history, signature and files."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from dispatch.attachments.models import Attachment
from dispatch.comments.models import Comment
from dispatch.contacts.models import Contact
from dispatch.email.models import EmailMessage as EmailMessageRow
from tests.conftest import Api, make_ticket
from tests.email.inbound.conftest import Mailroom, corpus

OUTBOUND_ID = "r4nd0mC0de.AS-1001@inbound.localhost"


def _address(brand: dict[str, Any]) -> str:
    return f"{brand['slug']}@inbound.localhost"


def _replace(brand: dict[str, Any], ticket: dict[str, Any] | None = None) -> dict[str, str]:
    values = {"to": _address(brand), "outbound": OUTBOUND_ID}
    if ticket is not None:
        values["ticket"] = ticket["publicId"]
    return values


def _ticket_with_sent_mail(
    api: Api, mailroom: Mailroom, brand: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A ticket of ann@example.com to which Dispatch sent a mail with OUTBOUND_ID."""
    ticket = make_ticket(api, brand, customerEmail="ann@example.com", **fields)
    mailroom.record_outbound(brand["id"], ticket["id"], f"<{OUTBOUND_ID}>")
    return ticket


def _comment(mailroom: Mailroom, comment_id: str) -> Comment:
    found = mailroom.session.get(Comment, comment_id)
    assert found is not None
    return found


def _attachments(mailroom: Mailroom, ticket_id: str) -> list[Attachment]:
    return list(
        mailroom.session.scalars(
            select(Attachment)
            .where(Attachment.ticket_id == ticket_id)
            .order_by(Attachment.filename)
        )
    )


def test_gmail_reply_threads_by_in_reply_to_and_keeps_history_apart(
    api: Api, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    ticket = _ticket_with_sent_mail(api, mailroom, brand)
    raw = corpus("gmail_reply.eml", **_replace(brand, ticket))

    outcome = mailroom.deliver(brand, raw)

    assert outcome["action"] == "replied"
    assert outcome["ticketId"] == ticket["id"]
    assert outcome["threadedBy"] == "in-reply-to"
    comment = _comment(mailroom, outcome["commentId"])
    assert comment.author_type == "CUSTOMER"
    assert comment.author_email == "ann@example.com"
    assert comment.source == "email"
    assert comment.source_id == "<CAKx7Yq0aBcD3fGh_gmail.reply.1@mail.gmail.com>"
    assert comment.body == (
        "Thanks, clearing the cache worked!\n\nOne more question: can I export my data?\n\nAnn"
    )
    assert comment.metadata_["threadedBy"] == "in-reply-to"
    assert comment.metadata_["from"] == "Ann Lee <ann@example.com>"
    assert comment.source_data is not None
    assert "Please try clearing your browser cache." in comment.source_data["quotedText"]
    assert "<blockquote>Hi Ann," in comment.source_data["html"]
    recorded = mailroom.session.scalar(
        select(EmailMessageRow).where(EmailMessageRow.comment_id == comment.id)
    )
    assert recorded is not None
    assert recorded.direction == "inbound"
    assert recorded.message_id == comment.source_id


def test_outlook_reply_threads_by_references_and_drops_the_from_sent_block(
    api: Api, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    ticket = _ticket_with_sent_mail(api, mailroom, brand, title="Invoice is wrong")
    raw = corpus("outlook_reply.eml", **_replace(brand, ticket))

    outcome = mailroom.deliver(brand, raw)

    assert outcome["action"] == "replied"
    assert outcome["threadedBy"] == "references"
    comment = _comment(mailroom, outcome["commentId"])
    assert comment.body.startswith("It is still showing the old address. Can you resend it?")
    assert "From: Acme Store" not in comment.body
    assert "corrected the invoice" not in comment.body
    assert comment.source_data is not None
    assert "Hi Bob, we have corrected the invoice." in comment.source_data["quotedText"]
    # Bob is not the ticket's contact; he writes as himself.
    assert comment.author_email == "bob@contoso.example"
    assert "<style" not in comment.source_data["html"]


def test_apple_mail_reply_threads_by_reply_address_and_separates_the_phone_signature(
    api: Api, mailroom: Mailroom, brand: dict[str, Any], settings: Any
) -> None:
    from dispatch.email import addresses

    ticket = _ticket_with_sent_mail(api, mailroom, brand)
    reply_to = addresses.reply_address(
        settings, mailroom.brand(brand["id"]), mailroom.ticket(ticket["id"])
    )
    raw = corpus("apple_mail_reply.eml", to=reply_to)

    outcome = mailroom.deliver(brand, raw, recipient=reply_to)

    assert outcome["action"] == "replied"
    assert outcome["threadedBy"] == "reply-address"
    comment = _comment(mailroom, outcome["commentId"])
    assert comment.body == "Still spinning, I am afraid. Tried Safari and Chrome."
    assert comment.source_data is not None
    assert comment.source_data["signature"] == "Sent from my iPhone"
    assert "Could you try another browser?" in comment.source_data["quotedText"]


def test_forwarded_mail_keeps_what_was_forwarded_as_the_content(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("forwarded.eml", **_replace(brand)))

    assert outcome["action"] == "created"
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title == "Fwd: Broken invoice"
    assert ticket.customer_email == "dana@contoso.example"
    assert ticket.body is not None
    assert ticket.body.startswith("Could you look at this one from our customer? Thanks.")
    assert "invoice 2026-0042 lists the wrong VAT number." in ticket.body
    assert ticket.source_data is not None
    assert ticket.source_data["forwarded"]["from"] == "Carl Meyer <carl@fabrikam.example>"
    assert ticket.source_data["forwarded"]["subject"] == "Broken invoice"
    assert "quotedText" not in ticket.source_data


def test_multipart_alternative_uses_the_text_part_and_keeps_sanitized_html(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("multipart_alternative.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert outcome["action"] == "created"
    assert ticket.source == "email"
    assert ticket.source_id == "<20260106140000.77A1B2C3@mx.example.com>"
    assert ticket.title == "Where is my order?"
    assert ticket.body == "Hi, order #5521 has not arrived. Tracking: https://track.example/5521"
    assert ticket.customer_email == "erin@example.com"
    assert ticket.customer_name == "Erin Walsh"
    data = ticket.source_data
    assert data is not None
    assert data["from"] == "Erin Walsh <erin@example.com>"
    assert data["to"] == [_address(brand)]
    assert data["messageId"] == ticket.source_id
    assert data["date"] == "2026-01-06T14:00:00+00:00"
    assert '<a href="https://track.example/5521"' in data["html"]
    assert "onclick" not in data["html"]
    assert "<script" not in data["html"]
    assert "autoSubmitted" not in data


def test_html_only_mail_becomes_readable_text_with_markdown_links(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("html_only.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.body == (
        "## Refund\n\nPlease refund order [#77](https://shop.example/orders/77).\n\n"
        "- Item one\n- Item two"
    )


def test_inline_image_and_attachment_are_stored_and_the_image_is_referenced_in_place(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("inline_image.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    files = {a.filename: a for a in _attachments(mailroom, ticket.id)}
    assert set(files) == {"screen.png", "orders.csv"}
    assert files["screen.png"].detected_type == "image/png"
    assert ticket.attachment_count == 2
    assert ticket.body == (
        "This is what I see after login:\n\n"
        f"![screen.png](attachment:{files['screen.png'].id})\n\nAny idea?"
    )
    assert sorted(outcome["attachmentIds"]) == sorted(a.id for a in files.values())


def test_iso_8859_1_body_is_read_as_windows_1252_like_browsers_do(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("iso_8859_1.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title == "Café froid"
    assert ticket.customer_name == "René Dupré"
    assert ticket.body == "Bonjour,\n\nLe café est arrivé froid – “pas bon”.\n\nMerci,\nRené"


def test_windows_1252_body_keeps_euro_sign_and_smart_quotes(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("windows_1252.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.body == "Hello,\n\nI was charged € 49 twice – please “fix” it."


def test_shift_jis_body_and_iso_2022_jp_subject_are_decoded(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("shift_jis.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title == "ログインできません"
    assert ticket.customer_name == "山田太郎"
    assert ticket.body == "お世話になっております。\nログインできません。\n①番の画面で止まります。"


def test_encoded_word_subject_split_over_two_lines_is_joined(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("encoded_subject.eml", **_replace(brand)))

    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title == "Réservation annulée — remboursement?"
    assert ticket.customer_name == "José García"
    assert ticket.body == "Ma réservation a été annulée."


def test_malformed_mime_still_opens_a_ticket_with_the_text_found(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    raw = corpus("malformed.eml", **_replace(brand))

    outcome = mailroom.deliver(brand, raw, envelope_sender="kim@example.com")

    assert outcome["action"] == "created"
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.title.startswith("Broken")
    assert ticket.body is not None
    assert "My account is locked é please help." in ticket.body
    assert ticket.source_data is not None
    assert "date" not in ticket.source_data


def test_dsn_bounce_marks_the_contact_undeliverable_and_opens_no_ticket(
    api: Api, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    ticket = _ticket_with_sent_mail(api, mailroom, brand)
    before = [t["id"] for t in api.ok("get", f"/brands/{brand['id']}/tickets")["data"]]

    outcome = mailroom.deliver(
        brand, corpus("dsn_bounce.eml", **_replace(brand, ticket)), envelope_sender=""
    )

    assert outcome["action"] == "bounce"
    assert outcome["failed"] == ["ann@example.com"]
    assert outcome["originalMessageId"] == f"<{OUTBOUND_ID}>"
    assert outcome["ticketId"] == ticket["id"]
    contact = mailroom.session.scalar(select(Contact).where(Contact.email == "ann@example.com"))
    assert contact is not None
    assert contact.email_undeliverable_at is not None
    assert outcome["contacts"] == [contact.id]
    assert [t["id"] for t in api.ok("get", f"/brands/{brand['id']}/tickets")["data"]] == before
    shown = api.ok("get", f"/brands/{brand['id']}/contacts/{contact.id}")
    assert shown["emailUndeliverable"] is True


def test_out_of_office_reply_is_threaded_flagged_and_does_not_reopen(
    api: Api, mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    ticket = _ticket_with_sent_mail(api, mailroom, brand)
    api.ok("patch", f"/brands/{brand['id']}/tickets/{ticket['id']}", json={"status": "resolved"})

    outcome = mailroom.deliver(brand, corpus("out_of_office.eml", **_replace(brand, ticket)))

    assert outcome["action"] == "replied"
    assert outcome["robot"] == "auto-submitted"
    comment = _comment(mailroom, outcome["commentId"])
    assert comment.metadata_["robot"] is True
    assert comment.metadata_["robotReason"] == "auto-submitted"
    after = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert after["status"] == "resolved"


def test_mailing_list_message_opens_a_ticket_flagged_as_auto_submitted(
    mailroom: Mailroom, brand: dict[str, Any]
) -> None:
    outcome = mailroom.deliver(brand, corpus("mailing_list.eml", **_replace(brand)))

    assert outcome["action"] == "created"
    assert outcome["robot"] == "precedence"
    ticket = mailroom.ticket(outcome["ticketId"])
    assert ticket.source_data is not None
    assert ticket.source_data["autoSubmitted"] is True
    assert ticket.source_data["robotReason"] == "precedence"
    # The list's own address is not a person to answer: the contact is the sender.
    assert ticket.customer_email == "announce@lists.example.org"


def test_ten_megabyte_attachment_is_stored_whole(mailroom: Mailroom, brand: dict[str, Any]) -> None:
    payload = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    message = EmailMessage()
    message["From"] = "Ivy Chen <ivy@example.com>"
    message["To"] = _address(brand)
    message["Subject"] = "Database dump"
    message["Message-ID"] = "<big-0001@mx.example.com>"
    message.set_content("The dump is attached.")
    message.add_attachment(
        payload, maintype="application", subtype="octet-stream", filename="dump.bin"
    )
    raw = message.as_bytes()
    assert len(raw) > 13 * 1024 * 1024  # base64 makes it larger on the wire

    outcome = mailroom.deliver(brand, raw)

    [stored] = _attachments(mailroom, outcome["ticketId"])
    assert stored.filename == "dump.bin"
    assert stored.size == len(payload)
    import hashlib

    assert stored.sha256 == hashlib.sha256(payload).hexdigest()
