"""One stored message: what it says, who sent it, and what it becomes (a new ticket
opened by its customer, a comment on the thread it answers, or a bounce report)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from dispatch.attachments import config as attachment_config
from dispatch.attachments import service as attachments
from dispatch.attachments.errors import ContentTypeMismatch
from dispatch.attachments.models import Attachment
from dispatch.brands.models import Brand
from dispatch.comments import service as comments
from dispatch.comments.schemas import BODY_MAX as COMMENT_BODY_MAX
from dispatch.comments.schemas import NewComment
from dispatch.contacts import service as contacts
from dispatch.core.actor import Actor, Channel
from dispatch.core.email_address import is_email
from dispatch.core.errors import DomainError
from dispatch.email import addresses, cleaning, parsing, robots, service, threads
from dispatch.email.addresses import Mailbox
from dispatch.email.inbound.config import InboundConfig
from dispatch.email.models import InboundMessage
from dispatch.email.parsing import Address, FilePart, ParsedMail
from dispatch.statuses import loading as statuses
from dispatch.tickets import service as tickets
from dispatch.tickets.models import Ticket
from dispatch.tickets.schemas import BODY_MAX as TICKET_BODY_MAX
from dispatch.tickets.schemas import TITLE_MAX, NewTicket

NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"
HTML_MAX = 512 * 1024
TEXT_EXTRA_MAX = 100_000
PENDING_MAX = 50
NOT_A_PERSON = re.compile(
    r"^(?:no-?reply|do-?not-?reply|donotreply|noreply-\w+|mailer-daemon|postmaster|"
    r"bounces?|notifications?)(?:[+._-].*)?$",
    re.IGNORECASE,
)
GROUP_VIA = re.compile(r"^'?(?P<name>.+?)'?\s+via\s+.+$")


@dataclass(slots=True)
class _Content:
    text: str
    quoted: str | None
    signature: str | None
    html: str | None
    forwarded: dict[str, str] | None


@dataclass(slots=True)
class _StoredFiles:
    ids: list[str] = field(default_factory=list)
    by_part: dict[int, str] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = "\n\n[message truncated]"
    return text[: limit - len(note)] + note


def _content(parsed: ParsedMail) -> _Content:
    html = parsed.html
    if parsed.text is not None and parsed.text.strip():
        source = parsed.text
    elif html:
        source = cleaning.html_to_text(html)
    else:
        source = ""
    cleaned = cleaning.clean(source, subject=parsed.subject)
    sanitized = cleaning.sanitize_html(html) if html else None
    if sanitized is not None and len(sanitized) > HTML_MAX:
        sanitized = None
    return _Content(
        text=cleaned.text,
        quoted=cleaned.quoted,
        signature=cleaned.signature,
        html=sanitized,
        forwarded=cleaned.forwarded,
    )


def _is_person(address: Address, domain: str, list_post: str | None) -> bool:
    local, _, host = address.email.rpartition("@")
    if host.lower() == domain or address.email == list_post:
        return False
    return NOT_A_PERSON.match(local) is None


def _display_name(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip('"').strip()
    via = GROUP_VIA.match(name)
    if via is not None:
        name = via.group("name").strip()
    return name[:200] or None


def _list_post(parsed: ParsedMail) -> str | None:
    value = parsed.header("List-Post") or ""
    match = re.search(r"mailto:([^>\s?]+)", value, re.IGNORECASE)
    return match.group(1).lower() if match else None


def customer_of(parsed: ParsedMail, domain: str, envelope_sender: str | None) -> Address | None:
    """Who the message is from, for the ticket's contact: the Reply-To address when it is
    a person (web forms and groups send as themselves on someone's behalf), else From,
    else the envelope sender."""
    list_post = _list_post(parsed)
    people = [a for a in parsed.reply_to if _is_person(a, domain, list_post)]
    chosen = people[0] if people else parsed.from_
    if chosen is None and envelope_sender and is_email(envelope_sender):
        chosen = Address(None, envelope_sender.lower())
    if chosen is None:
        return None
    name = _display_name(chosen.name)
    if name is None and parsed.from_ is not None and parsed.from_.email == chosen.email:
        name = _display_name(parsed.from_.name)
    return Address(name, chosen.email)


class _Processing:
    def __init__(
        self, session: Session, config: InboundConfig, brand: Brand, message: InboundMessage
    ) -> None:
        self.session = session
        self.config = config
        self.brand = brand
        self.message = message
        self.actor = Actor.system(brand.account_id, channel=Channel.EMAIL)
        self.parsed = parsing.parse(message.raw)

    # -- the decision ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        bounce = robots.bounce(self.parsed)
        if bounce is not None:
            return self._bounce(bounce)
        self.content = _content(self.parsed)
        self.robot = robots.robot_reason(
            self.parsed,
            envelope_sender=self.message.envelope_sender,
            inbound_domain=self.config.domain,
            has_new_text=bool(self.content.text.strip()),
        )
        self.customer = customer_of(self.parsed, self.config.domain, self.message.envelope_sender)
        # The subject rule trusts the sender (From) only: Reply-To is whoever the sender
        # says should get the answer, so naming the contact there proves nothing.
        sender = self.parsed.from_.email if self.parsed.from_ else self.message.envelope_sender
        senders = {sender} if sender else set()
        thread = threads.find_thread(
            self.session,
            self.brand,
            secret=self.config.secret,
            in_reply_to=self.parsed.in_reply_to,
            references=self.parsed.references,
            mailboxes=self._mailboxes(),
            subject=self.parsed.subject,
            senders=senders,
        )
        if thread is not None:
            return self._reply(thread)
        return self._new_ticket()

    def _mailboxes(self) -> list[Mailbox]:
        """This brand's mailboxes the message was addressed to: the envelope recipient
        first, then those in its headers."""
        found: list[Mailbox] = []
        in_headers = parsing.addresses(self.parsed.message, *parsing.ENVELOPE_HEADERS)
        candidates = [self.message.recipient, *(a.email for a in in_headers)]
        for address in candidates:
            mailbox = addresses.parse_mailbox(self.config.settings, address)
            if mailbox is None or mailbox in found:
                continue
            if mailbox.local.lower() in (self.brand.slug, self.brand.id.lower()):
                found.append(mailbox)
        return found

    def _original_recipient(self) -> str | None:
        """The address the sender wrote to before the mail was forwarded to Dispatch (a
        support@ mailbox forwarding here), from the forwarding headers or To/Cc."""
        for name in ("X-Original-To", "X-Forwarded-For", "X-Forwarded-To", "Delivered-To"):
            for address in parsing.addresses(self.parsed.message, name):
                if not address.email.endswith(f"@{self.config.domain}"):
                    return address.email
        for address in [*self.parsed.to, *self.parsed.cc]:
            if not address.email.endswith(f"@{self.config.domain}"):
                return address.email
        return None

    # -- what gets written --------------------------------------------------------------------

    def _source_data(self, stored: _StoredFiles) -> dict[str, Any]:
        parsed, content = self.parsed, self.content
        data: dict[str, Any] = {
            "from": parsed.from_.formatted() if parsed.from_ else None,
            "to": [a.formatted() for a in parsed.to],
            "cc": [a.formatted() for a in parsed.cc],
            "replyTo": [a.formatted() for a in parsed.reply_to] or None,
            "subject": parsed.subject,
            "messageId": parsed.message_id,
            "inReplyTo": parsed.in_reply_to or None,
            "date": parsed.date.isoformat() if parsed.date else None,
            "originalRecipient": self._original_recipient(),
            "recipient": self.message.recipient,
            "envelopeSender": self.message.envelope_sender,
            "quotedText": _truncate(content.quoted, TEXT_EXTRA_MAX) if content.quoted else None,
            "signature": content.signature,
            "html": content.html,
            "forwarded": content.forwarded,
            "inboundMessageId": self.message.id,
        }
        if self.robot is not None:
            data["autoSubmitted"] = True
            data["robotReason"] = self.robot
        if stored.skipped:
            data["skippedAttachments"] = stored.skipped
        return {k: v for k, v in data.items() if v is not None}

    def _body(self, stored: _StoredFiles, limit: int) -> str:
        """The cleaned text, inline images as `![name](attachment:<id>)` in their place
        (cid: links from HTML, Gmail's `[image: name]` stand-ins), else appended."""
        text = self.content.text
        referenced: set[int] = set()
        for index, part in enumerate(self.parsed.files):
            attachment_id = stored.by_part.get(index)
            if attachment_id is None or not part.inline:
                continue
            reference = f"attachment:{attachment_id}"
            if part.content_id and f"cid:{part.content_id}" in text:
                text = text.replace(f"cid:{part.content_id}", reference)
                referenced.add(index)
                continue
            placeholder = f"[image: {part.filename}]"
            if placeholder in text:
                text = text.replace(placeholder, f"![{part.filename}]({reference})", 1)
                referenced.add(index)
        elsewhere = " ".join(filter(None, (self.content.quoted, self.content.signature)))
        for index, part in enumerate(self.parsed.files):
            attachment_id = stored.by_part.get(index)
            if attachment_id is None or not part.inline or index in referenced:
                continue
            if part.content_id and f"cid:{part.content_id}" in elsewhere:
                continue  # an image of the quoted history or the signature (a logo)
            if f"[image: {part.filename}]" in elsewhere:
                continue
            text += f"\n\n![{part.filename}](attachment:{attachment_id})"
        text = cleaning.strip_image_placeholders(text)
        return _truncate(text, limit)

    def _store_files(self, ticket: Ticket | None) -> _StoredFiles:
        """Store every attachment and inline image: as pending uploads when the ticket does
        not exist yet (it takes them by `attachmentIds`), else on the ticket. A file the
        attachment rules refuse (too large, empty) is skipped and listed."""
        stored = _StoredFiles()
        config = attachment_config.current()
        for index, part in enumerate(self.parsed.files):
            if ticket is None and len(stored.ids) >= PENDING_MAX:
                stored.skipped.append({"filename": part.filename, "reason": "too_many_files"})
                continue
            try:
                row = self._store_one(config, part, ticket)
            except DomainError as error:
                stored.skipped.append({"filename": part.filename, "reason": error.code})
                continue
            stored.ids.append(row)
            stored.by_part[index] = row
        return stored

    def _store_one(
        self, config: attachment_config.AttachmentConfig, part: FilePart, ticket: Ticket | None
    ) -> str:
        content_types = [part.content_type]
        if part.content_type != "application/octet-stream":
            content_types.append("application/octet-stream")
        for position, content_type in enumerate(content_types):
            try:
                with self.session.begin_nested():
                    return self._put(config, part, content_type, ticket)
            except ContentTypeMismatch:
                # Mail clients guess types from file names; the bytes decide.
                if position == len(content_types) - 1:
                    raise
        raise AssertionError("unreachable")

    def _put(
        self,
        config: attachment_config.AttachmentConfig,
        part: FilePart,
        content_type: str,
        ticket: Ticket | None,
    ) -> str:
        if ticket is None:
            upload = attachments.Upload(
                part.filename, content_type, io.BytesIO(part.data), uploaded_by=None
            )
            return attachments.upload_pending(
                self.session, self.actor, self.brand, upload, config
            ).id
        row = attachments.store_bytes(
            self.session,
            self.actor,
            self.brand,
            ticket,
            filename=part.filename,
            content_type=content_type,
            data=part.data,
        )
        return row.id

    # -- new ticket ---------------------------------------------------------------------------

    def _new_ticket(self) -> dict[str, Any]:
        stored = self._store_files(None)
        title = (self.parsed.subject or NO_SUBJECT)[:TITLE_MAX]
        body = self._body(stored, TICKET_BODY_MAX)
        data = NewTicket(
            title=title,
            body=body or None,
            source="email",
            source_id=(self.parsed.message_id or "")[:500] or None,
            source_data=self._source_data(stored),
            attachment_ids=stored.ids or None,
        )
        if self.customer is not None and not self.robot:
            # The customer opens the ticket, as through the portal: they are its contact.
            self.actor = self._as_customer(None, self.customer)
        elif self.customer is not None:
            data = data.model_copy(
                update={"customer_email": self.customer.email, "customer_name": self.customer.name}
            )
        created = tickets.create_ticket(self.session, self.actor, self.brand, data)
        threads.remember(self.session, self.brand.id, created.id, self.parsed.message_id)
        outcome: dict[str, Any] = {
            "action": "spam" if created.is_spam else "created",
            "ticketId": created.id,
            "ticketNumber": created.public_id,
        }
        return self._with_details(outcome, stored)

    def _as_customer(self, contact_id: str | None, person: Address) -> Actor:
        if contact_id is None:
            contact = contacts.find_or_create_contact(
                self.session,
                self.actor,
                self.brand,
                email=person.email,
                name=_display_name(person.name),
            )
            contact_id = contact.id
        return Actor.customer(
            account_id=self.brand.account_id,
            brand_id=self.brand.id,
            contact_id=contact_id,
            email=person.email,
            name=_display_name(person.name),
            channel=Channel.EMAIL,
        )

    def _with_details(self, outcome: dict[str, Any], stored: _StoredFiles) -> dict[str, Any]:
        """The outcome, plus the files kept or skipped and why it counts as a robot's."""
        if stored.ids:
            outcome["attachmentIds"] = stored.ids
        if stored.skipped:
            outcome["skippedAttachments"] = stored.skipped
        if self.robot is not None:
            outcome["robot"] = self.robot
        return outcome

    # -- reply ----------------------------------------------------------------------------------

    def _reply(self, thread: threads.Thread) -> dict[str, Any]:
        ticket = threads.current_ticket(self.session, thread.ticket)
        stored = self._store_files(ticket)
        sender = self.parsed.from_ or self.customer
        metadata: dict[str, Any] = {
            "threadedBy": thread.method,
            "from": sender.formatted() if sender else None,
            "cc": [a.email for a in self.parsed.cc],
        }
        if self.robot is not None:
            metadata["robot"] = True
            metadata["robotReason"] = self.robot
        data = NewComment(
            body=self._body(stored, COMMENT_BODY_MAX) or NO_TEXT,
            author_type="CUSTOMER",
            source="email",
            source_id=(self.parsed.message_id or "")[:500] or None,
            source_data=self._source_data(stored),
            metadata=metadata,
        )
        if sender is not None and sender.email == ticket.customer_email and not self.robot:
            # The ticket's own customer writes: they act, as through the portal.
            self.actor = self._as_customer(ticket.customer_id, sender)
        else:
            # Someone else on the thread, or a machine: recorded as the email channel, the
            # author as written. A machine's reply (an out-of-office) reopens nothing.
            keep_status = (
                statuses.get_status(self.session, self.brand, ticket.status_id).key
                if self.robot is not None
                else None
            )
            data = data.model_copy(
                update={
                    "author_email": sender.email if sender else None,
                    "author_name": _display_name(sender.name) if sender else None,
                    "set_status": keep_status,
                }
            )
        comment = comments.create_comment(
            self.session, self.actor, self.brand, thread.ticket.id, data
        )
        if stored.ids:
            attachments_on_comment(self.session, self.brand.id, stored.ids, comment.id)
        threads.remember(
            self.session,
            self.brand.id,
            comment.ticket_id,
            self.parsed.message_id,
            comment_id=comment.id,
        )
        outcome: dict[str, Any] = {
            "action": "replied",
            "ticketId": comment.ticket_id,
            "commentId": comment.id,
            "threadedBy": thread.method,
        }
        return self._with_details(outcome, stored)

    # -- bounce ---------------------------------------------------------------------------------

    def _bounce(self, bounce: robots.Bounce) -> dict[str, Any]:
        if not bounce.failed:
            return {"action": "ignored", "reason": "delivery_delayed", "delayed": bounce.delayed}
        marked = service.mark_undeliverable(
            self.session, self.actor, self.brand, bounce.failed, reason="bounce"
        )
        outcome: dict[str, Any] = {
            "action": "bounce",
            "failed": bounce.failed,
            "contacts": [c.id for c in marked],
        }
        if bounce.original_message_id:
            outcome["originalMessageId"] = bounce.original_message_id
            found = threads.tickets_by_message_ids(
                self.session, self.brand.id, [bounce.original_message_id]
            )
            if found:
                outcome["ticketId"] = next(iter(found.values())).id
        return outcome


def attachments_on_comment(
    session: Session, brand_id: str, attachment_ids: list[str], comment_id: str
) -> None:
    """Link a reply's files to its comment (they were stored on the ticket just before
    the comment, so its body could name them)."""
    session.execute(
        update(Attachment)
        .where(Attachment.brand_id == brand_id, Attachment.id.in_(attachment_ids))
        .values(comment_id=comment_id)
        .execution_options(synchronize_session="fetch")
    )


def process(
    session: Session, config: InboundConfig, brand: Brand, message: InboundMessage
) -> dict[str, Any]:
    """One message of a live brand: a bounce, a reply on its thread or a new ticket."""
    return _Processing(session, config, brand, message).run()
