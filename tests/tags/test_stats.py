"""GET /tags/stats: ticket counts per tag (live, non-spam, non-merged tickets), by name."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.categories.helpers import Json, set_ticket_columns
from tests.conftest import Api, make_ticket
from tests.tags.helpers import counts, make_tag, tag_ticket, tags_path


def test_stats_list_every_tag_by_name_with_its_count(
    api: Api, brand: Json, session: Session, vip: Json, bug: Json, defect: Json
) -> None:
    first, second = make_ticket(api, brand, title="One"), make_ticket(api, brand, title="Two")
    tag_ticket(api, session, brand, first, vip, bug)
    tag_ticket(api, session, brand, second, bug)

    assert api.ok("get", tags_path(brand, "/stats")) == [
        {"id": bug["id"], "name": "bug", "color": "#6b7280", "ticketCount": 2},
        {"id": defect["id"], "name": "Defect", "color": "#6b7280", "ticketCount": 0},
        {"id": vip["id"], "name": "VIP", "color": "#eab308", "ticketCount": 1},
    ]


def test_a_brand_without_tags_has_empty_stats(api: Api, brand: Json) -> None:
    assert api.ok("get", tags_path(brand, "/stats")) == []


@pytest.mark.parametrize("columns", [{"is_spam": True}, {"merged_into_id": "tkt_target"}])
def test_spam_and_merged_tickets_are_not_counted(
    api: Api, brand: Json, session: Session, bug: Json, columns: Json
) -> None:
    hidden, shown = make_ticket(api, brand, title="Hidden"), make_ticket(api, brand, title="Shown")
    tag_ticket(api, session, brand, hidden, bug)
    tag_ticket(api, session, brand, shown, bug)
    set_ticket_columns(session, hidden, **columns)

    assert counts(api, brand)["bug"] == 1


def test_deleted_tickets_are_not_counted(
    api: Api, brand: Json, session: Session, bug: Json
) -> None:
    gone, kept = make_ticket(api, brand, title="Gone"), make_ticket(api, brand, title="Kept")
    tag_ticket(api, session, brand, gone, bug)
    tag_ticket(api, session, brand, kept, bug)
    api.ok("delete", f"/brands/{brand['id']}/tickets/{gone['id']}")

    assert counts(api, brand)["bug"] == 1


def test_counts_are_per_brand(
    api: Api, brand: Json, session: Session, bug: Json, sibling_brand: Json
) -> None:
    theirs = make_tag(api, sibling_brand, "bug")
    for _ in range(2):
        tag_ticket(api, session, sibling_brand, make_ticket(api, sibling_brand), theirs)
    tag_ticket(api, session, brand, make_ticket(api, brand), bug)

    assert counts(api, brand)["bug"] == 1
    assert counts(api, sibling_brand) == {"bug": 2}
