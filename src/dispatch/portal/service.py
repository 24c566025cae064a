"""The customer portal's use cases, for the portal API and the hosted portal alike.

A customer acts as an `Actor.customer` of one brand (channel `portal`), built from a
portal token (`tokens.customer_for`), a redeemed magic link or a hosted session; every
read and write goes through the same services as the team's, whose policies keep a
customer to their own tickets and public replies. What comes back is shaped for a
customer: staff shown as STAFF, no internal notes, no SYSTEM entries, no attachments of
either, only the custom fields marked portal-visible.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from dispatch.attachments import repository as attachments_repository
from dispatch.attachments import service as attachments
from dispatch.attachments.config import AttachmentConfig
from dispatch.attachments.errors import AttachmentTooLarge, InvalidAttachmentIds
from dispatch.attachments.links import Links
from dispatch.attachments.models import Attachment
from dispatch.attachments.schemas import AttachmentOut
from dispatch.audit import service as audit
from dispatch.brands.models import Brand, new_portal_secret
from dispatch.brands.schemas import normalise_origin
from dispatch.comments import repository as comments_repository
from dispatch.comments import service as comments
from dispatch.comments.models import AGENT, CUSTOMER, Comment
from dispatch.comments.schemas import NewComment
from dispatch.contacts import repository as contacts_repository
from dispatch.contacts import service as contacts
from dispatch.contacts.companies import create_company
from dispatch.contacts.schemas import ContactChanges, NewCompany
from dispatch.core import clock
from dispatch.core.actor import Actor, Channel, require_settings_manager
from dispatch.core.email_address import InvalidEmailAddress, normalize_email
from dispatch.core.errors import NotFound, ValidationFailed
from dispatch.core.hosts import url_host
from dispatch.core.ids import new_id
from dispatch.email.outbound import compose
from dispatch.email.rendering import render
from dispatch.fields import repository as fields_repository
from dispatch.fields.models import FieldDefinition
from dispatch.portal import repository, tokens
from dispatch.portal.errors import InvalidPortalToken, PortalUrlNotAllowed
from dispatch.portal.models import PortalLink
from dispatch.portal.schemas import (
    PORTAL_MAX_UPLOAD_BYTES,
    PortalAttachment,
    PortalAttachmentWithUrl,
    PortalBrand,
    PortalComment,
    PortalCommentResult,
    PortalCustomField,
    PortalStatus,
    PortalTicket,
    PortalTicketDetail,
    PortalTokenResponse,
    PortalUploadRequest,
    PortalUploadStarted,
)
from dispatch.settings import Settings
from dispatch.statuses.schemas import StatusOut
from dispatch.tickets import service as tickets
from dispatch.tickets.loading import load_ticket
from dispatch.tickets.schemas import NewTicket, TicketOut
from dispatch.tickets.service import TicketQuery

MAGIC_LINK_TTL = timedelta(minutes=15)
# Magic links sent to one address of a brand within LINK_WINDOW; more are quietly
# dropped (the caller is told nothing, as for any address).
LINKS_PER_ADDRESS = 5
LINK_WINDOW = timedelta(hours=1)
STAFF = "STAFF"
# `brand.settings` key: show the team's names on their portal replies (default: the
# brand's sender name, so customers never see who in the team wrote).
SHOW_AGENT_NAMES = "portalShowAgentNames"
HOSTED_PATH = "/support/"
# What `portal_links.portal_url` holds, with room for the token the link adds.
MAX_PORTAL_URL = 1900
# Contact metadata key: the minting backend's own id of the customer's organisation.
SOURCE_ORG_ID = "sourceOrgId"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- who the customer is -----------------------------------------------------------------


def customer_actor(session: Session, brand_id: str, contact_id: str) -> Actor:
    """The customer actor (channel portal) of a live contact of a live brand; 401
    `invalid_token` otherwise (the credential that named them no longer stands)."""
    brand = repository.live_brand(session, brand_id)
    contact = contacts_repository.get_contact(session, brand_id, contact_id) if brand else None
    if brand is None or contact is None:
        raise InvalidPortalToken()
    return tokens.customer(brand, contact)


def brand_of(session: Session, actor: Actor) -> Brand:
    """The one brand a customer acts in."""
    if not actor.is_customer or actor.brand_ids is None or len(actor.brand_ids) != 1:
        raise InvalidPortalToken()
    brand = repository.live_brand(session, next(iter(actor.brand_ids)))
    if brand is None or brand.account_id != actor.account_id:
        raise InvalidPortalToken()
    return brand


def token_for(brand: Brand, actor: Actor) -> PortalTokenResponse:
    """A fresh one-hour portal token for the customer (what verify and refresh answer)."""
    if actor.contact_id is None or actor.email is None:
        raise InvalidPortalToken()
    issued = tokens.issue(brand, actor.contact_id)
    return PortalTokenResponse(
        token=issued.token,
        expires_at=issued.expires_at,
        customer_id=actor.contact_id,
        email=actor.email,
        name=actor.name,
    )


def refresh(session: Session, actor: Actor) -> PortalTokenResponse:
    return token_for(brand_of(session, actor), actor)


def mint_token(
    session: Session,
    actor: Actor,
    brand: Brand,
    email: str,
    name: str | None = None,
    company_name: str | None = None,
    source_org_id: str | None = None,
) -> PortalTokenResponse:
    """`POST /brands/:b/portal/token` (the brand's own backend, with its API key): the
    customer with this address, found or created (and joined to the company its email
    domain names, else to `company_name`, found by name or created), and their token.
    The caller's own id of the customer's organisation is kept in the contact's
    metadata (`sourceOrgId`)."""
    contact = contacts.find_or_create_contact(session, actor, brand, email=email, name=name)
    changes: dict[str, Any] = {}
    company_name = (company_name or "").strip()
    if company_name and contact.company_id is None:
        company = contacts_repository.get_company_by_name(session, brand.id, company_name)
        changes["company_id"] = (
            company.id
            if company is not None
            else create_company(session, actor, brand, NewCompany(name=company_name)).id
        )
    if source_org_id and contact.metadata_.get(SOURCE_ORG_ID) != source_org_id:
        changes["metadata"] = {SOURCE_ORG_ID: source_org_id}
    if changes:
        contacts.update_contact(session, actor, brand, contact.id, ContactChanges(**changes))
    return token_for(brand, tokens.customer(brand, contact))


def rotate_secret(session: Session, actor: Actor, brand: Brand) -> None:
    """A new portal secret: every portal token and hosted session of the brand ends."""
    require_settings_manager(actor, "rotate the portal secret")
    brand.portal_secret = new_portal_secret()
    brand.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor,
        brand_id=brand.id,
        event="brand.portal_secret_rotated",
        entity_type="brand",
        entity_id=brand.id,
    )


# --- magic links ---------------------------------------------------------------------------


def _origin(url: str) -> str | None:
    parts = urlsplit(url.strip())
    try:
        return normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return None


def _on_portal_domain(brand: Brand, portal_url: str, own_origin: str | None) -> bool:
    """Whether `portal_url` is on the brand's own portal domain: https, or http when the
    request came over http (`own_origin`'s scheme), any port."""
    parts = urlsplit(portal_url.strip())
    schemes = {"https", "http"} if urlsplit(own_origin or "").scheme == "http" else {"https"}
    return (
        brand.portal_domain is not None
        and parts.scheme in schemes
        and url_host(portal_url) == brand.portal_domain
    )


def check_portal_url(brand: Brand, portal_url: str, *, own_origin: str | None) -> str:
    """Where a magic link may point: an http(s) URL on one of the brand's portal origins,
    the brand's hosted portal (`<own_origin>/support/<slug>...`, where `own_origin`
    is where the request reached Dispatch) or its own portal domain. Anything else is
    refused, so a leaked API key cannot mail customers a link to a site of its choosing."""
    if len(portal_url) > MAX_PORTAL_URL:
        raise PortalUrlNotAllowed(f"portalUrl must be at most {MAX_PORTAL_URL} characters")
    parts = urlsplit(portal_url.strip())
    origin = _origin(portal_url)
    if origin is None:
        raise PortalUrlNotAllowed("portalUrl must be an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise PortalUrlNotAllowed("portalUrl must not carry credentials")
    hosted = f"{HOSTED_PATH}{brand.slug}"
    is_hosted = (
        own_origin is not None
        and origin == _origin(own_origin)
        and (parts.path == hosted or parts.path.startswith(f"{hosted}/"))
    )
    if (
        origin not in brand.portal_origins
        and not is_hosted
        and not _on_portal_domain(brand, portal_url, own_origin)
    ):
        raise PortalUrlNotAllowed(
            f"portalUrl must be on one of the brand's portal origins ({origin} is not), "
            "its hosted portal or its portal domain"
        )
    return urlunsplit(parts._replace(fragment=""))


def _with_token(portal_url: str, token: str) -> str:
    parts = urlsplit(portal_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("token", token)])))


def send_magic_link(
    session: Session,
    settings: Settings,
    brand: Brand,
    email: str,
    portal_url: str,
    *,
    own_origin: str | None,
) -> None:
    """Email `portal_url?token=<single-use secret>` (15 minutes) to the address, from the
    brand. Silent about whether the address is known (the link proves it; redeeming finds
    or creates the contact) and, past LINKS_PER_ADDRESS an hour, quietly sends nothing.
    A `portal_url` outside the brand's origins is a 422 (`check_portal_url`)."""
    url = check_portal_url(brand, portal_url, own_origin=own_origin)
    try:
        address = normalize_email(email).lower()
    except InvalidEmailAddress as exc:
        raise ValidationFailed("email", str(exc)) from None
    now = clock.now()
    if repository.links_sent_since(session, brand.id, address, now - LINK_WINDOW) >= (
        LINKS_PER_ADDRESS
    ):
        return
    secret = secrets.token_urlsafe(32)
    repository.add_link(
        session,
        PortalLink(
            id=new_id("plk"),
            brand_id=brand.id,
            email=address,
            token_hash=_hash(secret),
            portal_url=url,
            created_at=now,
            expires_at=now + MAGIC_LINK_TTL,
            used_at=None,
        ),
    )
    sender = brand.from_name or brand.name
    subject = f"Your sign-in link for {sender} support"
    body = render(
        "team_link",
        subject=subject,
        intro=f"Here is the link you asked for to see your support requests with {sender}.",
        action="Open my support requests",
        link=_with_token(url, secret),
        expiry="The link works once, within 15 minutes.",
        account_name=sender,
    )
    draft = compose.Draft(
        kind="portal_link", to=address, subject=subject, body=body, from_name=sender
    )
    compose.queue(session, settings, brand, None, draft, event_id=None)


def redeem_magic_link(session: Session, raw_token: str, *, brand_id: str | None = None) -> Actor:
    """The customer a magic link signs in (channel portal), its contact found or created
    for the link's address. Single use; unknown, used or expired links (or one of another
    brand than `brand_id`) are 401 `invalid_token`."""
    if not raw_token or len(raw_token) > 200:
        raise InvalidPortalToken()
    link = repository.claim_link(session, _hash(raw_token.strip()), clock.now())
    if link is None or (brand_id is not None and link.brand_id != brand_id):
        raise InvalidPortalToken()
    brand = repository.live_brand(session, link.brand_id)
    if brand is None:
        raise InvalidPortalToken()
    # The link is the customer's own doing: the system records the contact it creates.
    system = Actor.system(brand.account_id, channel=Channel.PORTAL)
    contact = contacts.find_or_create_contact(session, system, brand, email=link.email, name=None)
    return tokens.customer(brand, contact)


def verify_magic_link(
    session: Session, raw_token: str, *, check: Callable[[Brand], None] | None = None
) -> PortalTokenResponse:
    """`POST /portal/verify`: a magic link's token exchanged for a portal token. `check`
    may still refuse for the link's brand (the API's origin check); the caller's
    transaction then rolls back and the link stays usable."""
    actor = redeem_magic_link(session, raw_token)
    brand = brand_of(session, actor)
    if check is not None:
        check(brand)
    return token_for(brand, actor)


def purge_links(session: Session) -> int:
    """Forget magic links that expired a day ago or more (a periodic job)."""
    return repository.delete_links_expired_before(session, clock.now() - timedelta(days=1))


# --- shaping for a customer ------------------------------------------------------------------


def _portal_ticket(out: TicketOut, comment_count: int) -> PortalTicket:
    return PortalTicket(
        id=out.id,
        ticket_number=out.public_id,
        title=out.title,
        status=out.status,
        status_name=out.status_ref.name,
        status_color=out.status_ref.color,
        priority=out.priority,
        comment_count=comment_count,
        created_at=out.created_at,
        updated_at=out.updated_at,
    )


def portal_attachment(attachment: Attachment | AttachmentOut) -> PortalAttachment:
    return PortalAttachment(
        id=attachment.id,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        status=attachment.status,
        created_at=attachment.created_at,
    )


def _author_name(brand: Brand, comment: Comment) -> str | None:
    if comment.author_type == CUSTOMER:
        return comment.author_name
    if brand.settings.get(SHOW_AGENT_NAMES) is True and comment.author_name:
        return comment.author_name
    return brand.from_name or brand.name


def _portal_comment(
    brand: Brand, comment: Comment, files: Sequence[Attachment] = ()
) -> PortalComment:
    return PortalComment(
        id=comment.id,
        body=comment.body,
        author_type=CUSTOMER if comment.author_type == CUSTOMER else STAFF,
        author_name=_author_name(brand, comment),
        created_at=comment.created_at,
        attachments=[portal_attachment(a) for a in files],
    )


def _is_public(comment: Comment) -> bool:
    return not comment.is_internal and comment.author_type in (CUSTOMER, AGENT)


def _visible_ticket(session: Session, actor: Actor, brand: Brand, ticket_id: str) -> TicketOut:
    """The customer's own live ticket (spam is the team's business: 404 like any other)."""
    out = tickets.get_ticket(session, actor, brand, ticket_id)
    if out.is_spam:
        raise NotFound("ticket", ticket_id)
    return out


def _portal_fields(session: Session, brand_id: str) -> list[FieldDefinition]:
    return [
        f for f in fields_repository.list_fields(session, brand_id, "ticket") if f.portal_visible
    ]


# --- reading -----------------------------------------------------------------------------------


def list_tickets(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    sort: str = "createdAt",
    order: str = "desc",
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[PortalTicket], str | None]:
    """The customer's own tickets of the brand (never spam or deleted ones), by
    `createdAt` or `updatedAt`; `status` takes the brand's status keys, comma-separated,
    or the groups `active` (open tab) and `inactive` (closed tab)."""
    brand = brand_of(session, actor)
    if sort not in ("createdAt", "updatedAt"):
        raise ValidationFailed("sort", "sort is createdAt or updatedAt")
    if order not in ("asc", "desc"):
        raise ValidationFailed("order", "order is asc or desc")
    query = TicketQuery(status=status, sort=sort, order=order, limit=limit, cursor=cursor)
    page, next_cursor = tickets.list_tickets(session, actor, brand, query)
    counts = repository.public_comment_counts(session, [t.id for t in page])
    return [_portal_ticket(t, counts.get(t.id, 0)) for t in page], next_cursor


def get_ticket(session: Session, actor: Actor, ticket_id: str) -> PortalTicketDetail:
    """A ticket as its customer sees it: public replies (staff as STAFF) with their
    files, files of the ticket itself, portal-visible custom fields, the status as the
    brand names and colors it."""
    brand = brand_of(session, actor)
    out = _visible_ticket(session, actor, brand, ticket_id)
    conversation = [
        c for c in comments_repository.list_comments(session, brand.id, out.id) if _is_public(c)
    ]
    public_ids = {c.id for c in conversation}
    files: dict[str | None, list[Attachment]] = defaultdict(list)
    for attachment in attachments_repository.list_on_ticket(session, brand.id, out.id):
        if attachment.comment_id is None or attachment.comment_id in public_ids:
            files[attachment.comment_id].append(attachment)
    status: StatusOut = out.status_ref
    return PortalTicketDetail(
        **_portal_ticket(out, len(conversation)).model_dump(),
        body=out.body,
        brand=PortalBrand(
            name=brand.name, ticket_prefix=brand.ticket_prefix, icon_url=brand.icon_url
        ),
        status_ref=PortalStatus(
            key=status.key, name=status.name, color=status.color, is_active=status.is_active
        ),
        category=out.category.name if out.category is not None else None,
        comments=[_portal_comment(brand, c, files.get(c.id, [])) for c in conversation],
        attachments=[portal_attachment(a) for a in files.get(None, [])],
        custom_fields=[
            PortalCustomField(key=f.key, label=f.label, type=f.type, value=out.custom_fields[f.key])
            for f in _portal_fields(session, brand.id)
            if f.key in out.custom_fields
        ],
    )


# --- writing -----------------------------------------------------------------------------------


def _own_pending(
    session: Session, actor: Actor, brand: Brand, attachment_ids: Collection[str]
) -> list[str]:
    """The ids, checked to be the customer's own pending uploads (another's, even of the
    same brand, is refused like an unknown id)."""
    wanted = list(dict.fromkeys(attachment_ids))
    if not wanted:
        return []
    found = attachments.pending_uploads(session, brand.id, wanted)
    foreign = [a.id for a in found if a.uploaded_by != actor.email]
    if foreign:
        raise InvalidAttachmentIds(foreign)
    return wanted


def _check_custom_fields(
    session: Session, brand: Brand, custom_fields: dict[str, Any] | None
) -> dict[str, Any] | None:
    if not custom_fields:
        return None
    allowed = {f.key for f in _portal_fields(session, brand.id)}
    for key in custom_fields:
        if key not in allowed:
            raise ValidationFailed(f"customFields.{key}", "Unknown field")
    return custom_fields


def create_ticket(
    session: Session,
    actor: Actor,
    title: str,
    body: str | None = None,
    attachment_ids: Collection[str] = (),
    category_id: str | None = None,
    custom_fields: dict[str, Any] | None = None,
) -> PortalTicket:
    """Open a ticket as the customer (source `portal`): title, description, the
    customer's own pending uploads, a category when the brand offers them, and values of
    the portal-visible custom fields."""
    brand = brand_of(session, actor)
    if category_id is not None and not brand.portal_categories:
        raise ValidationFailed("categoryId", "This portal does not offer categories")
    values: dict[str, Any] = {"title": title, "body": body, "source": "portal"}
    ids = _own_pending(session, actor, brand, attachment_ids)
    if ids:
        values["attachment_ids"] = ids
    if category_id is not None:
        values["category_id"] = category_id
    fields = _check_custom_fields(session, brand, custom_fields)
    if fields is not None:
        values["custom_fields"] = fields
    created = tickets.create_ticket(session, actor, brand, NewTicket(**values))
    return _portal_ticket(created, 0)


def add_comment(
    session: Session,
    actor: Actor,
    ticket_id: str,
    body: str,
    attachment_ids: Collection[str] = (),
) -> PortalCommentResult:
    """The customer's public reply (author CUSTOMER, source portal), with their pending
    uploads attached to it. Replying to a pending, resolved or closed ticket reopens it
    (comments' auto-reopen, through the one status function)."""
    brand = brand_of(session, actor)
    before = _visible_ticket(session, actor, brand, ticket_id)
    ids = _own_pending(session, actor, brand, attachment_ids)
    comment_out = comments.create_comment(
        session, actor, brand, ticket_id, NewComment(body=body, source="portal")
    )
    ticket = load_ticket(session, actor, brand, comment_out.ticket_id, for_update=False)
    files: list[Attachment] = []
    if ids:
        uploads = attachments.pending_uploads(session, brand.id, ids)
        files = attachments.attach_pending(
            session, actor, brand, ticket, uploads, comment_id=comment_out.id
        )
    comment = comments_repository.get_comment(session, brand.id, ticket.id, comment_out.id)
    if comment is None:  # written above, in this transaction
        raise NotFound("comment", comment_out.id)
    reopened = ticket.id == before.id and ticket.status_id != before.status_id
    return PortalCommentResult(comment=_portal_comment(brand, comment, files), reopened=reopened)


# --- attachments ---------------------------------------------------------------------------------


def _check_size(size: int) -> None:
    if size > PORTAL_MAX_UPLOAD_BYTES:
        raise AttachmentTooLarge(PORTAL_MAX_UPLOAD_BYTES)


def _started(started: Any) -> PortalUploadStarted:
    return PortalUploadStarted(
        attachment=portal_attachment(started.attachment),
        attachment_id=started.attachment_id,
        upload_url=started.upload_url,
        expires_in=started.expires_in,
        expires_at=started.expires_at,
    )


def start_pending_upload(
    session: Session, actor: Actor, data: PortalUploadRequest, links: Links
) -> PortalUploadStarted:
    """An upload for a ticket not created yet (`attachmentIds` on create or reply)."""
    _check_size(data.size)
    brand = brand_of(session, actor)
    return _started(attachments.initiate(session, actor, brand, None, data.as_upload(), links))


def confirm_pending_upload(
    session: Session, actor: Actor, attachment_id: str, config: AttachmentConfig
) -> PortalAttachment:
    brand = brand_of(session, actor)
    pending = attachments_repository.get_pending_upload(session, brand.id, attachment_id)
    if pending is None or pending.uploaded_by != actor.email:
        raise NotFound("attachment", attachment_id)
    return portal_attachment(
        attachments.confirm_pending(session, actor, brand, attachment_id, config)
    )


def upload_pending_file(
    session: Session, actor: Actor, upload: attachments.Upload, config: AttachmentConfig
) -> PortalAttachment:
    """A file sent through Dispatch (the hosted portal's forms) for a ticket or reply
    about to be written."""
    brand = brand_of(session, actor)
    limited = _portal_config(config)
    own = attachments.Upload(upload.filename, upload.content_type, upload.stream)
    return portal_attachment(attachments.upload_pending(session, actor, brand, own, limited))


def _portal_config(config: AttachmentConfig) -> AttachmentConfig:
    """The server's attachment limit, or the portal's if that is smaller."""
    if config.max_bytes <= PORTAL_MAX_UPLOAD_BYTES:
        return config
    return replace(config, max_bytes=PORTAL_MAX_UPLOAD_BYTES)


def _visible_attachment(
    session: Session, actor: Actor, brand: Brand, ticket_id: str, attachment_id: str
) -> str:
    """The customer's ticket's id, after checking the attachment is on it and not on a
    comment they cannot see (internal note, SYSTEM entry, deleted comment)."""
    ticket = _visible_ticket(session, actor, brand, ticket_id)
    found = attachments_repository.get_on_ticket(session, brand.id, ticket.id, attachment_id)
    hidden = repository.hidden_comment_ids(session, brand.id, ticket.id)
    if found is None or (found.comment_id is not None and found.comment_id in hidden):
        raise NotFound("attachment", attachment_id)
    return ticket.id


def start_upload(
    session: Session, actor: Actor, ticket_id: str, data: PortalUploadRequest, links: Links
) -> PortalUploadStarted:
    _check_size(data.size)
    brand = brand_of(session, actor)
    ticket = _visible_ticket(session, actor, brand, ticket_id)
    return _started(attachments.initiate(session, actor, brand, ticket.id, data.as_upload(), links))


def confirm_upload(
    session: Session, actor: Actor, ticket_id: str, attachment_id: str, config: AttachmentConfig
) -> PortalAttachment:
    brand = brand_of(session, actor)
    visible_id = _visible_attachment(session, actor, brand, ticket_id, attachment_id)
    return portal_attachment(
        attachments.confirm(session, actor, brand, visible_id, attachment_id, config)
    )


def list_attachments(session: Session, actor: Actor, ticket_id: str) -> list[PortalAttachment]:
    """The ticket's files the customer sees: the ticket's own and those of public replies."""
    brand = brand_of(session, actor)
    ticket = _visible_ticket(session, actor, brand, ticket_id)
    hidden = repository.hidden_comment_ids(session, brand.id, ticket.id)
    return [
        portal_attachment(a)
        for a in attachments.list_for_ticket(session, actor, brand, ticket.id)
        if a.comment_id is None or a.comment_id not in hidden
    ]


def get_attachment(
    session: Session, actor: Actor, ticket_id: str, attachment_id: str, links: Links
) -> PortalAttachmentWithUrl:
    """An attachment the customer sees, with a signed download link (the attachments
    service's, valid as configured) once its bytes arrived."""
    brand = brand_of(session, actor)
    visible_id = _visible_attachment(session, actor, brand, ticket_id, attachment_id)
    found = attachments.get_with_url(session, actor, brand, visible_id, attachment_id, links)
    flat = portal_attachment(found)
    return PortalAttachmentWithUrl(
        **flat.model_dump(),
        attachment=flat,
        download_url=found.download_url,
        expires_at=found.expires_at,
    )
