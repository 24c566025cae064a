"""The team's own emails (sign-in links, password resets, invitations): queued in the
caller's transaction like every email, sent by the worker through the relay."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from dispatch.accounts.models import Member
from dispatch.email.outbound import compose
from dispatch.email.rendering import render
from dispatch.settings import Settings


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str
    intro: str
    action: str


WORDING = {
    "sign_in": Wording(
        "Your sign-in link for {account}",
        "Here is the link you asked for to sign in to {account}'s helpdesk.",
        "Sign in",
    ),
    "reset": Wording(
        "Reset your password for {account}",
        "Someone (hopefully you) asked to reset your password for {account}'s helpdesk.",
        "Choose a new password",
    ),
    "invite": Wording(
        "{inviter} invited you to {account} on Dispatch",
        "{inviter} invited you to join {account}'s helpdesk team as {role}.",
        "Accept the invitation",
    ),
}


def queue_link(
    session: Session,
    settings: Settings,
    member: Member,
    purpose: str,
    link: str,
    *,
    account_name: str,
    expiry: str,
    inviter: str | None = None,
) -> None:
    wording = WORDING[purpose]
    values = {"account": account_name, "inviter": inviter or "A teammate", "role": member.role}
    subject = wording.subject.format(**values)
    body = render(
        "team_link",
        subject=subject,
        intro=wording.intro.format(**values),
        action=wording.action,
        link=link,
        expiry=expiry,
        account_name=account_name,
    )
    draft = compose.Draft(
        kind=f"team_{purpose}", to=member.email, subject=subject, body=body, from_name="Dispatch"
    )
    compose.queue(session, settings, None, None, draft, event_id=None)
