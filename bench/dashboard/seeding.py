"""The bulk seed: each brand's tickets with contacts (a few with hundreds of tickets),
companies, tags, conversations (a few of 50-80 comments) and activity entries."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, update

from bench.conversations import Text
from bench.core import STATUS_MIX, refresh_counts, settle
from bench.dashboard.world import OWNER_EMAIL, BrandSetup, World
from dispatch.audit.models import AuditLog
from dispatch.brands.models import Brand
from dispatch.comments.models import AGENT, CUSTOMER, SYSTEM, Comment
from dispatch.contacts.models import Company, Contact
from dispatch.core.db import Database
from dispatch.core.ids import new_id
from dispatch.tags.models import TicketTag
from dispatch.tickets.models import Ticket

TABLES = {
    model: cast(Table, model.__table__)
    for model in (Company, Contact, Ticket, TicketTag, Comment, AuditLog)
}
PRIORITIES = {"low": 20, "normal": 55, "high": 18, "urgent": 7}
# Tickets per contact fall off steeply: a handful of contacts hold hundreds of tickets
# each (a reseller, a noisy customer), most hold one to a few.
TICKETS_PER_CONTACT = 5
CONTACT_SKEW = 2.5
COMPANIES_PER_1000_TICKETS = 5
LONG_CONVERSATIONS = 20  # tickets with 50-80 comments
SHORT_COMMENTS = [0, 0, 1, 1, 2, 2, 3, 4, 5]
SPAN = timedelta(days=730)  # the seeded tickets were opened over two years
BATCH = 5_000


@dataclass
class Seeded:
    """Tickets of the measured brand the ticket pages are drawn from."""

    short: list[str] = field(default_factory=list)  # 1-5 comments
    long: list[str] = field(default_factory=list)  # 50-80 comments
    # What was inserted: tickets per brand, then comments, activity, contacts, tags.
    rows: dict[str, Any] = field(default_factory=lambda: {"tickets": []})

    def count(self, name: str, rows: int) -> None:
        self.rows[name] = self.rows.get(name, 0) + rows

    def add(self, tickets: list[dict[str, Any]]) -> None:
        for ticket in tickets:
            if ticket["comment_count"] >= 50:
                self.long.append(ticket["id"])
            elif ticket["comment_count"]:
                self.short.append(ticket["id"])


class BrandSeed:
    """Rows of one brand's tickets with their contacts, companies, tags, conversations
    and activity entries, drawn from a seeded random generator."""

    def __init__(self, world: World, brand: BrandSetup, tickets: int, words: Text) -> None:
        self.world, self.brand, self.tickets, self.words = world, brand, tickets, words
        self.rng = random.Random(f"{brand.id}:{tickets}")
        self.account_id = world.fixture.account_id
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.step = SPAN / tickets
        assignees = [(world.owner_id, OWNER_EMAIL, "Bench Owner"), *world.agents]
        # A third unassigned; the rest spread unevenly over the team.
        self.assignees: list[tuple[str, str, str] | None] = [None] * 4 + [
            a for i, a in enumerate(assignees) for _ in range(len(assignees) - i)
        ]
        self.status_keys = [brand.custom_key if k == "in_progress" else k for k in STATUS_MIX]
        self.status_weights = list(STATUS_MIX.values())
        self.companies = self._companies()
        self.contacts = self._contacts()
        # Each ticket's contact is drawn first: contacts go in before the tickets that
        # refer to them (and that copy their name into the search document).
        self.contact_of = [self._contact() for _ in range(tickets)]
        for contact in self.contact_of:
            contact["ticket_count"] += 1
        self.long_at = set(self.rng.sample(range(tickets), min(tickets, LONG_CONVERSATIONS)))

    def _companies(self) -> list[dict[str, Any]]:
        count = max(1, self.tickets * COMPANIES_PER_1000_TICKETS // 1000)
        return [
            {
                "id": new_id("com"),
                "brand_id": self.brand.id,
                "name": f"{self.words.sentence(2).title()} {n}",
                "domain": f"company{n}.{self.brand.id.lower()}.example",
                "metadata": {},
                "custom_fields": {},
                "created_at": self.now - SPAN,
                "updated_at": self.now - SPAN,
            }
            for n in range(count)
        ]

    def _contacts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for n in range(max(1, self.tickets // TICKETS_PER_CONTACT)):
            company = self.rng.choice(self.companies) if self.rng.random() < 0.6 else None
            domain = company["domain"] if company else "mail.example"
            name = self.words.sentence(2).title()
            rows.append(
                {
                    "id": new_id("cus"),
                    "brand_id": self.brand.id,
                    "email": f"customer{n}@{domain}",
                    "name": name,
                    "company_id": company["id"] if company else None,
                    "metadata": {},
                    "custom_fields": {},
                    "notify_email": True,
                    "ticket_count": 0,
                    "created_at": self.now - SPAN,
                    "updated_at": self.now - SPAN,
                }
            )
        return rows

    def _contact(self) -> dict[str, Any]:
        at = int(len(self.contacts) * self.rng.random() ** CONTACT_SKEW)
        return self.contacts[min(at, len(self.contacts) - 1)]

    def rows(self, n: int) -> dict[Table, list[dict[str, Any]]]:
        """Ticket `n` (0 the oldest) with its tags, comments and activity entries."""
        rng, brand = self.rng, self.brand
        created = self.now - SPAN + self.step * n
        ticket_id = new_id("tkt")
        status = rng.choices(self.status_keys, self.status_weights)[0]
        contact = self.contact_of[n]
        assignee = rng.choice(self.assignees)
        long = n in self.long_at
        comments, at = self._conversation(ticket_id, created, contact, assignee, long)
        closed_by = assignee or self.world.agents[0]
        if status != "open":
            at += timedelta(minutes=rng.randint(5, 600))
            comments.append(self._status_comment(ticket_id, status, at, closed_by))
        entries = [
            self._entry(ticket_id, "ticket.created", "ticket", ticket_id, created, None, None)
        ]
        for c in comments:
            if c["author_type"] == SYSTEM:
                changes = {"status": {"old": "open", "new": status}}
                entries.append(
                    self._entry(ticket_id, "ticket.updated", "ticket", ticket_id, c["created_at"],
                                changes, closed_by)
                )  # fmt: skip
            else:
                entries.append(
                    self._entry(ticket_id, "comment.created", "comment", c["id"], c["created_at"],
                                None, None)
                )  # fmt: skip
        ticket = {
            "id": ticket_id,
            "account_id": self.account_id,
            "brand_id": brand.id,
            "ticket_number": 1001 + n,
            "title": self.words.sentence(rng.randint(4, 9)).capitalize(),
            "body": self.words.sentence(rng.randint(20, 60)).capitalize() + ".",
            "status_id": brand.status_ids[status],
            "priority": rng.choices(list(PRIORITIES), list(PRIORITIES.values()))[0],
            "source": rng.choice(["email", "email", "email", "api", "portal"]),
            "assignee_id": assignee[0] if assignee else None,
            "assignee_email": assignee[1] if assignee else None,
            "customer_id": contact["id"],
            "customer_email": contact["email"],
            "customer_name": contact["name"],
            "category_id": rng.choice(brand.category_ids) if rng.random() < 0.75 else None,
            "custom_fields": {},
            "metadata": {},
            "links": [],
            "comment_count": sum(c["author_type"] != SYSTEM for c in comments),
            "attachment_count": 0,
            "is_spam": False,
            "version": 1 + len(comments),
            "created_at": created,
            "updated_at": at,
        }
        tagged = [
            {"ticket_id": ticket_id, "tag_id": tag_id, "brand_id": brand.id, "created_at": created}
            for tag_id in rng.sample(brand.tag_ids, rng.choice([0, 0, 1, 1, 1, 2, 3]))
        ]
        return {
            TABLES[Ticket]: [ticket],
            TABLES[TicketTag]: tagged,
            TABLES[Comment]: comments,
            TABLES[AuditLog]: entries,
        }

    def _conversation(
        self,
        ticket_id: str,
        created: datetime,
        contact: dict[str, Any],
        assignee: tuple[str, str, str] | None,
        long: bool,
    ) -> tuple[list[dict[str, Any]], datetime]:
        """Alternating customer replies and agent answers (some internal notes); returns
        them and the time of the last."""
        rng = self.rng
        count = rng.randint(50, 80) if long else rng.choice(SHORT_COMMENTS)
        agent = assignee or rng.choice(self.world.agents)
        rows: list[dict[str, Any]] = []
        at = created
        for c in range(count):
            at += timedelta(minutes=rng.randint(2, 240))
            by_agent = c % 2 == 0
            rows.append(
                {
                    "id": new_id("cmt"),
                    "brand_id": self.brand.id,
                    "ticket_id": ticket_id,
                    "body": self.words.sentence(rng.randint(10, 60)).capitalize() + ".",
                    "author_id": agent[0] if by_agent else contact["id"],
                    "author_name": agent[2] if by_agent else contact["name"],
                    "author_email": agent[1] if by_agent else contact["email"],
                    "author_type": AGENT if by_agent else CUSTOMER,
                    "is_internal": by_agent and rng.random() < 0.15,
                    "links": [],
                    "metadata": {},
                    "source": "dashboard" if by_agent else "email",
                    "created_at": at,
                    "updated_at": at,
                }
            )
        return rows, at

    def _status_comment(
        self, ticket_id: str, status: str, at: datetime, by: tuple[str, str, str]
    ) -> dict[str, Any]:
        """The SYSTEM entry the workflow writes for a status change."""
        names = self.brand.status_names
        return {
            "id": new_id("cmt"),
            "brand_id": self.brand.id,
            "ticket_id": ticket_id,
            "body": f"Status changed from {names['open']} to {names[status]}",
            "author_id": None,
            "author_name": "Dispatch",
            "author_email": None,
            "author_type": SYSTEM,
            "is_internal": True,
            "links": [],
            "metadata": {
                "kind": "status_change",
                "from": "open",
                "to": status,
                "fromName": names["open"],
                "toName": names[status],
                "trigger": None,
                "source": "dashboard",
                "performedBy": _performer(by),
            },
            "source": "system",
            "created_at": at,
            "updated_at": at,
        }

    def _entry(
        self,
        ticket_id: str,
        event: str,
        entity_type: str,
        entity_id: str,
        at: datetime,
        changes: dict[str, Any] | None,
        by: tuple[str, str, str] | None,
    ) -> dict[str, Any]:
        return {
            "id": new_id("log"),
            "account_id": self.account_id,
            "brand_id": self.brand.id,
            "ticket_id": ticket_id,
            "event": event,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "changes": changes,
            "performed_by": _performer(by) if by else {"type": "api", "apiKeyPrefix": "bench"},
            "source": "dashboard" if by else "api",
            "metadata": {},
            "created_at": at,
        }


def _performer(member: tuple[str, str, str]) -> dict[str, Any]:
    return {"type": "user", "userId": member[0], "email": member[1], "name": member[2]}


def _batches(seed: BrandSeed) -> Iterator[dict[Table, list[dict[str, Any]]]]:
    batch: dict[Table, list[dict[str, Any]]] = {}
    for n in range(seed.tickets):
        for table, rows in seed.rows(n).items():
            batch.setdefault(table, []).extend(rows)
        if (n + 1) % BATCH == 0:
            yield batch
            batch = {}
    if batch:
        yield batch


def seed(world: World, sizes: list[int], words: Text) -> Seeded:
    """Bulk-insert each brand's tickets (the first brand is the measured one), refresh the
    status counters, and leave the database as autovacuum would."""
    database = Database.from_url(world.fixture.url, pool_size=1)
    picked = Seeded()
    with database.session() as session:
        for brand, tickets in zip(world.brands, sizes, strict=True):
            brand_seed = BrandSeed(world, brand, tickets, words)
            session.execute(insert(TABLES[Company]), brand_seed.companies)
            for at in range(0, len(brand_seed.contacts), BATCH):
                session.execute(insert(TABLES[Contact]), brand_seed.contacts[at : at + BATCH])
            picked.count("contacts", len(brand_seed.contacts))
            picked.rows["tickets"].append(tickets)
            for batch in _batches(brand_seed):
                # Tickets before what refers to them.
                for name, model in (("tickets", Ticket), ("tags", TicketTag),
                                    ("comments", Comment), ("activity", AuditLog)):  # fmt: skip
                    if batch.get(TABLES[model]):
                        session.execute(insert(TABLES[model]), batch[TABLES[model]])
                        if name != "tickets":
                            picked.count(name, len(batch[TABLES[model]]))
                if brand is world.brands[0]:
                    picked.add(batch[TABLES[Ticket]])
            session.execute(
                update(Brand).where(Brand.id == brand.id).values(next_ticket_number=1001 + tickets)
            )
            refresh_counts(session, brand.id)
            print(f"  {brand.id}: {tickets} tickets", flush=True)
        session.commit()
    settle(database)
    database.dispose()
    return picked
