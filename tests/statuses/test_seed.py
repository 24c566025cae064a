"""One test per sentence of the founding seed ("Statuses & Workflows") about statuses.

Each test is named after the sentence it checks, in the order the seed tells them.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from tests.conftest import Api, make_status, make_ticket
from tests.statuses.helpers import (
    SEED_SYSTEM_STATUSES,
    SYSTEM_KEYS,
    Json,
    assert_problem,
    brand_events,
    by_key,
    get_ticket,
    keys,
    list_statuses,
    list_ticket_ids,
    stats_by_key,
    status_changes_in_log,
    statuses_path,
    ticket_events,
    ticket_logs,
    tickets_path,
    update_ticket,
)

# --- Intro --------------------------------------------------------------------------------


def test_start_with_the_built_in_system_statuses_and_add_custom_ones_as_the_process_evolves(
    api: Api, brand: Json
) -> None:
    assert keys(api, brand) == SYSTEM_KEYS
    make_status(api, brand, name="In Progress", key="in_progress")
    make_status(api, brand, name="Scheduled", key="scheduled")
    listed = list_statuses(api, brand)
    assert [s["key"] for s in listed if s["isSystem"]] == SYSTEM_KEYS
    assert [s["key"] for s in listed if not s["isSystem"]] == ["in_progress", "scheduled"]


# --- System statuses ----------------------------------------------------------------------


def test_every_brand_starts_with_four_system_statuses_that_cannot_be_deleted(
    api: Api, brand: Json, sibling_brand: Json, other_api: Api, other_brand: Json
) -> None:
    seen_ids: set[str] = set()
    for client, each in ((api, brand), (api, sibling_brand), (other_api, other_brand)):
        listed = list_statuses(client, each)
        assert [s["key"] for s in listed] == SYSTEM_KEYS
        assert all(s["isSystem"] and s["brandId"] == each["id"] for s in listed)
        ids = {s["id"] for s in listed}
        assert not ids & seen_ids, "every brand has statuses of its own"
        seen_ids |= ids

    before = list_statuses(api, brand)
    for status in before:
        assert_problem(
            api.delete(statuses_path(brand, f"/{status['id']}")), 422, "system_status_immutable"
        )
    assert list_statuses(api, brand) == before


def test_system_statuses_have_the_seed_names_keys_and_colors(api: Api, brand: Json) -> None:
    listed = list_statuses(api, brand)
    assert [(s["name"], s["key"], s["color"], s["description"]) for s in listed] == (
        SEED_SYSTEM_STATUSES
    )
    for index, status in enumerate(listed):
        assert status["id"].startswith("sts_")
        assert status["isSystem"] is True
        assert status["sortOrder"] == index


def test_system_statuses_represent_the_stages_of_a_ticket_lifecycle_in_order(
    api: Api, brand: Json
) -> None:
    ticket = make_ticket(api, brand)
    assert ticket["status"] == "open", "a new ticket starts at the first stage"
    listed = list_statuses(api, brand)
    assert [s["key"] for s in sorted(listed, key=lambda s: s["sortOrder"])] == SYSTEM_KEYS


def test_system_statuses_can_be_renamed_and_recolored_but_not_deleted(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    ticket = make_ticket(api, brand, status="pending")
    renamed = {
        "open": ("New", "#0EA5E9", "Fresh ticket"),
        "pending": ("Waiting on Customer", "#a855f7", "Ball is in their court"),
        "resolved": ("Solved", "#10b981", None),
        "closed": ("Done", "#64748b", "Archived"),
    }
    for key, (name, color, description) in renamed.items():
        status = statuses[key]
        body = {"name": name, "color": color, "description": description}
        updated = api.ok("patch", statuses_path(brand, f"/{status['id']}"), json=body)
        assert (updated["name"], updated["color"], updated["description"]) == (
            name,
            color.lower(),
            description,
        )
        assert (updated["id"], updated["key"], updated["isSystem"]) == (status["id"], key, True)
        assert_problem(
            api.delete(
                statuses_path(brand, f"/{status['id']}"), params={"replacementStatusKey": "open"}
            ),
            422,
            "system_status_immutable",
        )

    listed = list_statuses(api, brand)
    assert [(s["key"], s["name"]) for s in listed] == [
        (key, name) for key, (name, _c, _d) in renamed.items()
    ]
    got = get_ticket(api, brand, ticket)
    assert got["status"] == "pending"
    assert got["statusRef"]["name"] == "Waiting on Customer"
    assert got["statusRef"]["color"] == "#a855f7"


def test_system_status_keys_remain_constant(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    for key in SYSTEM_KEYS:
        status_path = statuses_path(brand, f"/{statuses[key]['id']}")
        api.ok("patch", status_path, json={"name": f"Renamed {key}"})
        assert_problem(
            api.patch(status_path, json={"key": f"{key}_v2"}), 422, "status_key_immutable"
        )
        # Sending the status back as it was read (key included) is fine.
        assert api.ok("patch", status_path, json={"key": key, "color": "#111111"})["key"] == key

    assert keys(api, brand) == SYSTEM_KEYS
    # The keys keep working in the API after the renames.
    ticket = make_ticket(api, brand, status="pending")
    for key in SYSTEM_KEYS:
        updated = update_ticket(api, brand, ticket, status=key)
        assert updated["status"] == key
        assert updated["statusRef"]["name"] == f"Renamed {key}"
        assert list_ticket_ids(api, brand, status=key) == {ticket["id"]}


# --- Custom statuses ----------------------------------------------------------------------


def test_custom_statuses_slot_between_the_system_statuses_and_can_be_reordered_freely(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    customs = {
        key: make_status(api, brand, name=key.replace("_", " ").title(), key=key)
        for key in ("in_progress", "waiting_eng", "scheduled")
    }
    assert keys(api, brand) == ["open", "pending", *customs, "resolved", "closed"]

    # Every order of the custom statuses is accepted.
    for permutation in itertools.permutations(customs):
        ids = [customs[k]["id"] for k in permutation]
        api.ok("post", statuses_path(brand, "/reorder"), json={"statusIds": ids})
        assert keys(api, brand) == ["open", "pending", *permutation, "resolved", "closed"]

    # ... and in any gap between the system statuses.
    full = ["open", "scheduled", "pending", "resolved", "in_progress", "waiting_eng", "closed"]
    ids_by_key = {
        **{k: s["id"] for k, s in statuses.items()},
        **{k: s["id"] for k, s in customs.items()},
    }
    api.ok(
        "post", statuses_path(brand, "/reorder"), json={"statusIds": [ids_by_key[k] for k in full]}
    )
    assert keys(api, brand) == full

    # But never outside the frame of open ... closed.
    before = list_statuses(api, brand)
    for bad in (
        ["scheduled", "open", "pending", "resolved", "in_progress", "waiting_eng", "closed"],
        ["open", "pending", "resolved", "in_progress", "waiting_eng", "closed", "scheduled"],
    ):
        response = api.post(
            statuses_path(brand, "/reorder"), json={"statusIds": [ids_by_key[k] for k in bad]}
        )
        assert_problem(response, 422, "invalid_status_order")
    assert list_statuses(api, brand) == before


def test_the_seed_example_custom_statuses_can_all_be_created(api: Api, brand: Json) -> None:
    examples = [
        ("In Progress", "in_progress", "Agent is actively working on the ticket"),
        ("Waiting on Engineering", "waiting_on_engineering", "Escalated to the dev team"),
        ("Scheduled", "scheduled", "Issue will be addressed in a future release"),
        ("On Hold", "on_hold", "Paused, waiting for external dependency"),
        ("Needs Review", "needs_review", "Requires manager or QA approval"),
    ]
    for name, key, description in examples:
        created = make_status(api, brand, name=name, key=key, description=description)
        assert (created["name"], created["key"], created["description"]) == (name, key, description)
        assert created["isSystem"] is False
        assert created["isActive"] is True
    assert keys(api, brand) == [
        "open",
        "pending",
        *(k for _n, k, _d in examples),
        "resolved",
        "closed",
    ]


def test_create_example_returns_a_status_whose_id_starts_with_sts(api: Api, brand: Json) -> None:
    response = api.post(
        statuses_path(brand),
        json={
            "name": "In Progress",
            "key": "in_progress",
            "color": "#8b5cf6",
            "description": "Agent is actively working on this ticket",
        },
    )
    assert response.status_code == 201, response.text
    status = response.json()
    assert status["id"].startswith("sts_")
    assert len(status["id"]) == len("sts_") + 21
    assert status["brandId"] == brand["id"]
    assert (status["name"], status["key"], status["color"], status["description"]) == (
        "In Progress",
        "in_progress",
        "#8b5cf6",
        "Agent is actively working on this ticket",
    )
    assert (status["isSystem"], status["isActive"]) == (False, True)
    assert status["createdAt"] == status["updatedAt"]
    assert api.ok("get", statuses_path(brand, f"/{status['id']}")) == status


# --- Status properties --------------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": None}])
def test_status_name_is_required(api: Api, brand: Json, body: Json) -> None:
    response = api.post(statuses_path(brand), json={"key": "in_progress", **body})
    problem = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in problem["errors"]} == {"name"}
    assert keys(api, brand) == SYSTEM_KEYS


def test_status_name_is_the_display_name_shown_for_tickets(
    api: Api, brand: Json, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, statusId=in_progress["id"])
    api.ok("patch", statuses_path(brand, f"/{in_progress['id']}"), json={"name": "Working on it"})
    got = get_ticket(api, brand, ticket)
    assert got["status"] == "in_progress"
    assert got["statusRef"]["name"] == "Working on it"


@pytest.mark.parametrize("body", [{}, {"key": ""}, {"key": None}])
def test_status_key_is_required(api: Api, brand: Json, body: Json) -> None:
    response = api.post(statuses_path(brand), json={"name": "In Progress", **body})
    problem = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in problem["errors"]} == {"key"}
    assert keys(api, brand) == SYSTEM_KEYS


def test_status_key_is_lowercase_with_underscores(api: Api, brand: Json) -> None:
    for key in ("needs_review", "tier_2", "x", "a" * 50):
        assert make_status(api, brand, name=f"Status {key}", key=key)["key"] == key
    for key in ("Needs_Review", "needs review", "needs-review"):
        problem = assert_problem(
            api.post(statuses_path(brand), json={"name": "Bad", "key": key}),
            422,
            "validation_error",
        )
        assert {e["field"] for e in problem["errors"]} == {"key"}
    assert len(keys(api, brand)) == 4 + 4


def test_status_key_is_unique_within_a_brand(
    api: Api, brand: Json, sibling_brand: Json, in_progress: Json
) -> None:
    for key in ("in_progress", "open", "closed"):
        response = api.post(statuses_path(brand), json={"name": f"Another {key}", "key": key})
        assert_problem(response, 409, "status_key_taken")
    assert keys(api, brand) == ["open", "pending", "in_progress", "resolved", "closed"]
    # Unique per brand: another brand may use the same key.
    other = make_status(api, sibling_brand, name="In Progress", key="in_progress")
    assert other["id"] != in_progress["id"]


def test_status_key_is_immutable_after_creation(api: Api, brand: Json, in_progress: Json) -> None:
    status_path = statuses_path(brand, f"/{in_progress['id']}")
    assert_problem(api.patch(status_path, json={"key": "working"}), 422, "status_key_immutable")
    assert_problem(
        api.patch(status_path, json={"key": "working", "name": "Working"}),
        422,
        "status_key_immutable",
    )
    renamed = api.ok("patch", status_path, json={"name": "Working"})
    assert (renamed["key"], renamed["name"]) == ("in_progress", "Working")
    assert api.ok("get", status_path)["key"] == "in_progress"


def test_status_color_is_optional_and_defaults_to_gray(api: Api, brand: Json) -> None:
    created = make_status(api, brand, name="On Hold", key="on_hold")
    assert created["color"] == "#6b7280"
    colored = make_status(api, brand, name="Scheduled", key="scheduled", color="#8B5CF6")
    assert colored["color"] == "#8b5cf6"
    recolored = api.ok(
        "patch", statuses_path(brand, f"/{colored['id']}"), json={"color": "#ef4444"}
    )
    assert recolored["color"] == "#ef4444"


def test_clearing_a_color_restores_the_default_seed_color_for_system_statuses(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    for key, color in (("open", "#3b82f6"), ("closed", "#22c55e")):
        status_path = statuses_path(brand, f"/{statuses[key]['id']}")
        assert api.ok("patch", status_path, json={"color": "#000000"})["color"] == "#000000"
        assert api.ok("patch", status_path, json={"color": None})["color"] == color
    custom = make_status(api, brand, name="On Hold", key="on_hold", color="#ef4444")
    cleared = api.ok("patch", statuses_path(brand, f"/{custom['id']}"), json={"color": None})
    assert cleared["color"] == "#6b7280"


def test_clearing_a_color_that_is_already_the_default_changes_nothing(
    api: Api, brand: Json, session: Session
) -> None:
    custom = make_status(api, brand, name="On Hold", key="on_hold")
    before = len(brand_events(session, brand["id"], "status.updated"))
    unchanged = api.ok("patch", statuses_path(brand, f"/{custom['id']}"), json={"color": None})
    assert unchanged == custom
    assert len(brand_events(session, brand["id"], "status.updated")) == before


def test_status_description_is_optional_internal_text(api: Api, brand: Json) -> None:
    created = make_status(api, brand, name="On Hold", key="on_hold")
    assert created["description"] is None
    status_path = statuses_path(brand, f"/{created['id']}")
    described = api.ok("patch", status_path, json={"description": "Paused, waiting on vendor"})
    assert described["description"] == "Paused, waiting on vendor"
    cleared = api.ok("patch", status_path, json={"description": None})
    assert cleared["description"] is None


# --- Status lifecycle ---------------------------------------------------------------------


@pytest.mark.parametrize("form", ["status", "statusId"])
def test_there_are_no_enforced_transition_rules_any_status_to_any_other(
    api: Api, brand: Json, in_progress: Json, form: str
) -> None:
    listed = by_key(api, brand)
    all_keys = ["open", "pending", "resolved", "closed", "in_progress"]
    pairs = list(itertools.permutations(all_keys, 2))
    assert len(pairs) == 20
    for old, new in pairs:
        ticket = make_ticket(api, brand, status=old)
        assert ticket["status"] == old
        target = {"status": new} if form == "status" else {"statusId": listed[new]["id"]}
        updated = update_ticket(api, brand, ticket, **target)
        assert (updated["status"], updated["statusId"]) == (new, listed[new]["id"]), (old, new)
        assert updated["statusRef"]["key"] == new
        assert get_ticket(api, brand, ticket)["status"] == new
        assert status_changes_in_log(api, brand, ticket) == [(old, new)]


def test_typical_flow_from_open_through_in_progress_and_back_to_open(
    api: Api, brand: Json, waiting_eng: Json
) -> None:
    ticket = make_ticket(api, brand)
    flow = [
        "in_progress",
        "waiting_eng",
        "in_progress",
        "resolved",
        "pending",
        "open",
        "in_progress",
        "resolved",
        "closed",
        "open",
    ]
    for key in flow:
        assert update_ticket(api, brand, ticket, status=key)["status"] == key
    assert [new for _old, new in status_changes_in_log(api, brand, ticket)] == flow


def test_status_change_is_recorded_in_the_ticket_activity_log(
    api: Api, brand: Json, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand)
    update_ticket(api, brand, ticket, status="pending")
    update_ticket(api, brand, ticket, statusId=in_progress["id"])
    update_ticket(api, brand, ticket, status="in_progress")  # no change: nothing recorded

    entries = [e for e in ticket_logs(api, brand, ticket) if e["event"] == "ticket.updated"]
    assert [e["changes"] for e in entries] == [
        {"status": {"old": "open", "new": "pending"}},
        {"status": {"old": "pending", "new": "in_progress"}},
    ]
    for entry in entries:
        assert entry["ticketId"] == ticket["id"]
        assert entry["entityType"] == "ticket"
        assert entry["performedBy"]["type"] == "api"
        assert entry["source"] == "api"


def test_status_change_fires_ticket_updated_event_with_status_in_changes(
    api: Api, brand: Json, session: Session, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand)
    update_ticket(api, brand, ticket, status="pending")
    update_ticket(api, brand, ticket, statusId=in_progress["id"])
    update_ticket(api, brand, ticket, status="in_progress")  # no change: no event
    update_ticket(api, brand, ticket, title="Cannot log in on mobile")  # not a status change

    created = ticket_events(session, ticket["id"], "ticket.created")
    updated = ticket_events(session, ticket["id"], "ticket.updated")
    assert len(created) == 1
    assert len(updated) == 3
    status_events = updated[:2]
    for event, (old, new) in zip(
        status_events, [("open", "pending"), ("pending", "in_progress")], strict=True
    ):
        assert event.brand_id == brand["id"]
        assert "status" in event.data["changes"]
        assert event.data["previous"]["status"] == old
        assert event.data["status"] == new
        assert event.data["ticket"]["status"] == new
        assert event.data["ticket"]["id"] == ticket["id"]
    assert updated[2].data["changes"] == ["title"]
    assert "status" not in updated[2].data["previous"]
    sequences = [e.sequence for e in (*created, *updated)]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences), "the sequence increases with every change"


def test_ticket_status_can_be_updated_by_status_id(
    api: Api, brand: Json, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand)
    updated = update_ticket(api, brand, ticket, statusId=in_progress["id"])
    assert updated["statusId"] == in_progress["id"]
    assert updated["status"] == "in_progress"
    assert updated["statusRef"]["id"] == in_progress["id"]


def test_ticket_status_can_be_updated_by_the_key_of_a_system_status(
    api: Api, brand: Json, statuses: dict[str, Json]
) -> None:
    ticket = make_ticket(api, brand)
    updated = update_ticket(api, brand, ticket, status="resolved")
    assert updated["status"] == "resolved"
    assert updated["statusId"] == statuses["resolved"]["id"]
    assert get_ticket(api, brand, ticket)["statusId"] == statuses["resolved"]["id"]


def test_custom_status_keys_work_as_status_too_as_in_the_webhook_example(
    api: Api, brand: Json, in_progress: Json
) -> None:
    created = make_ticket(api, brand, status="in_progress")
    assert created["statusId"] == in_progress["id"]
    ticket = make_ticket(api, brand)
    updated = update_ticket(
        api, brand, ticket, status="in_progress", assigneeEmail="billing@example.com"
    )
    assert (updated["status"], updated["statusId"]) == ("in_progress", in_progress["id"])


# --- Active vs. inactive ------------------------------------------------------------------


def test_open_pending_and_custom_statuses_are_active_resolved_and_closed_are_inactive(
    api: Api, brand: Json, in_progress: Json
) -> None:
    flags = {s["key"]: s["isActive"] for s in list_statuses(api, brand)}
    assert flags == {
        "open": True,
        "pending": True,
        "in_progress": True,
        "resolved": False,
        "closed": False,
    }
    for key, active in flags.items():
        assert make_ticket(api, brand, status=key)["statusRef"]["isActive"] is active


@pytest.fixture
def one_ticket_per_status(api: Api, brand: Json, waiting_eng: Json) -> dict[str, str]:
    return {
        key: make_ticket(api, brand, status=key, title=f"In {key}")["id"]
        for key in ("open", "pending", "in_progress", "waiting_eng", "resolved", "closed")
    }


def test_active_filter_lists_tickets_that_need_attention(
    api: Api, brand: Json, one_ticket_per_status: dict[str, str]
) -> None:
    tickets = one_ticket_per_status
    assert list_ticket_ids(api, brand, status="active") == {
        tickets[k] for k in ("open", "pending", "in_progress", "waiting_eng")
    }


def test_inactive_filter_lists_tickets_that_are_done(
    api: Api, brand: Json, one_ticket_per_status: dict[str, str]
) -> None:
    tickets = one_ticket_per_status
    assert list_ticket_ids(api, brand, status="inactive") == {
        tickets["resolved"],
        tickets["closed"],
    }


def test_status_filter_can_include_resolved_or_closed_tickets(
    api: Api, brand: Json, one_ticket_per_status: dict[str, str]
) -> None:
    tickets = one_ticket_per_status
    active = {tickets[k] for k in ("open", "pending", "in_progress", "waiting_eng")}
    assert list_ticket_ids(api, brand, status="active,resolved") == active | {tickets["resolved"]}
    assert list_ticket_ids(api, brand, status="active,closed") == active | {tickets["closed"]}
    assert list_ticket_ids(api, brand, status="resolved,closed") == {
        tickets["resolved"],
        tickets["closed"],
    }
    assert list_ticket_ids(api, brand) == set(tickets.values())


def test_a_ticket_moving_to_a_done_status_leaves_the_active_view(
    api: Api, brand: Json, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, status="in_progress")
    assert ticket["id"] in list_ticket_ids(api, brand, status="active")
    update_ticket(api, brand, ticket, status="resolved")
    assert ticket["id"] not in list_ticket_ids(api, brand, status="active")
    assert ticket["id"] in list_ticket_ids(api, brand, status="inactive")


# --- Managing statuses --------------------------------------------------------------------


def test_statuses_list_returns_system_and_custom_in_display_order(
    api: Api, brand: Json, statuses: dict[str, Json], waiting_eng: Json, in_progress: Json
) -> None:
    order = ["open", "waiting_eng", "pending", "in_progress", "resolved", "closed"]
    ids = {
        **{k: s["id"] for k, s in statuses.items()},
        "in_progress": in_progress["id"],
        "waiting_eng": waiting_eng["id"],
    }
    api.ok("post", statuses_path(brand, "/reorder"), json={"statusIds": [ids[k] for k in order]})

    listed = list_statuses(api, brand)
    assert [s["key"] for s in listed] == order
    assert [s["sortOrder"] for s in listed] == list(range(len(order)))
    assert [s["isSystem"] for s in listed] == [True, False, True, False, True, True]


def test_reorder_example_of_the_seed_sets_the_display_order(
    api: Api, brand: Json, statuses: dict[str, Json], in_progress: Json, waiting_eng: Json
) -> None:
    ids = {
        **{k: s["id"] for k, s in statuses.items()},
        "in_progress": in_progress["id"],
        "waiting_eng": waiting_eng["id"],
    }
    before = keys(api, brand)
    order = ["open", "in_progress", "pending", "waiting_eng", "resolved", "closed"]
    assert before != order

    reordered = api.ok(
        "post", statuses_path(brand, "/reorder"), json={"statusIds": [ids[k] for k in order]}
    )
    assert [s["key"] for s in reordered] == order
    assert [s["sortOrder"] for s in reordered] == list(range(6))
    assert keys(api, brand) == order


def test_stats_return_status_id_name_and_count_per_status(
    api: Api, brand: Json, in_progress: Json
) -> None:
    for key in ("open", "open", "in_progress", "closed"):
        make_ticket(api, brand, status=key)
    api.ok("patch", statuses_path(brand, f"/{in_progress['id']}"), json={"name": "Working"})

    stats = api.ok("get", statuses_path(brand, "/stats"))
    listed = list_statuses(api, brand)
    assert [s["statusId"] for s in stats] == [s["id"] for s in listed]
    counts = {s["key"]: s["count"] for s in stats}
    assert counts == {"open": 2, "pending": 0, "in_progress": 1, "resolved": 0, "closed": 1}
    for entry, status in zip(stats, listed, strict=True):
        assert entry["statusName"] == status["name"]
        assert entry["ticketCount"] == entry["count"]
        # The reference's StatusWithCount: every status field plus ticketCount.
        assert {k: entry[k] for k in status} == status
    assert next(s for s in stats if s["key"] == "in_progress")["statusName"] == "Working"


# --- Deleting custom statuses -------------------------------------------------------------


def test_deleting_custom_status_requires_a_replacement_when_tickets_use_it(
    api: Api, brand: Json, in_progress: Json
) -> None:
    ticket = make_ticket(api, brand, status="in_progress")
    before = list_statuses(api, brand)

    problem = assert_problem(
        api.delete(statuses_path(brand, f"/{in_progress['id']}")), 422, "replacement_required"
    )
    assert problem["errors"][0]["field"] == "replacementStatusId"
    assert list_statuses(api, brand) == before
    assert get_ticket(api, brand, ticket)["status"] == "in_progress"

    # Without tickets, no replacement is needed.
    unused = make_status(api, brand, name="On Hold", key="on_hold")
    deleted = api.ok("delete", statuses_path(brand, f"/{unused['id']}"))
    assert (deleted["deleted"], deleted["movedTicketCount"]) == (True, 0)
    assert deleted["replacementStatusId"] is None


@pytest.mark.parametrize(
    ("where", "by"), [("query", "id"), ("query", "key"), ("body", "id"), ("body", "key")]
)
def test_deleting_custom_status_moves_all_tickets_to_the_replacement(
    api: Api,
    brand: Json,
    session: Session,
    statuses: dict[str, Json],
    in_progress: Json,
    where: str,
    by: str,
) -> None:
    moving = [make_ticket(api, brand, status="in_progress", title=f"T{i}") for i in range(3)]
    staying = make_ticket(api, brand, status="open")
    replacement = statuses["pending"]
    given = (
        {"replacementStatusId": replacement["id"]}
        if by == "id"
        else {"replacementStatusKey": "pending"}
    )
    kwargs = {"params": given} if where == "query" else {"json": given}

    result = api.ok("delete", statuses_path(brand, f"/{in_progress['id']}"), **kwargs)
    assert result == {
        "deleted": True,
        "id": in_progress["id"],
        "key": "in_progress",
        "replacementStatusId": replacement["id"],
        "replacementStatusKey": "pending",
        "movedTicketCount": 3,
    }

    for ticket in moving:
        got = get_ticket(api, brand, ticket)
        assert (got["status"], got["statusId"]) == ("pending", replacement["id"])
        assert got["version"] == ticket["version"] + 1
        assert status_changes_in_log(api, brand, ticket) == [("in_progress", "pending")]
        events = ticket_events(session, ticket["id"], "ticket.updated")
        assert len(events) == 1
        assert events[0].data["previous"]["status"] == "in_progress"
        assert events[0].data["ticket"]["status"] == "pending"
    assert get_ticket(api, brand, staying) == staying
    assert ticket_events(session, staying["id"], "ticket.updated") == []

    # Gone for good.
    assert_problem(api.get(statuses_path(brand, f"/{in_progress['id']}")), 404, "status_not_found")
    assert "in_progress" not in keys(api, brand)
    assert stats_by_key(api, brand) == {"open": 1, "pending": 3, "resolved": 0, "closed": 0}
    assert len(brand_events(session, brand["id"], "status.deleted")) == 1


def test_system_statuses_cannot_be_deleted(
    api: Api, brand: Json, statuses: dict[str, Json], in_progress: Json
) -> None:
    tickets = {key: make_ticket(api, brand, status=key) for key in SYSTEM_KEYS}
    before = list_statuses(api, brand)
    for key in SYSTEM_KEYS:
        for replacement in ({}, {"replacementStatusId": in_progress["id"]}):
            response = api.delete(
                statuses_path(brand, f"/{statuses[key]['id']}"), params=replacement
            )
            problem = assert_problem(response, 422, "system_status_immutable")
            assert "system status" in problem["message"]
    assert list_statuses(api, brand) == before
    for key, ticket in tickets.items():
        assert get_ticket(api, brand, ticket)["status"] == key


def test_deleting_a_status_is_permanent(api: Api, brand: Json, in_progress: Json) -> None:
    ticket = make_ticket(api, brand)
    status_path = statuses_path(brand, f"/{in_progress['id']}")
    api.ok("delete", status_path)

    assert_problem(api.get(status_path), 404, "status_not_found")
    assert_problem(api.patch(status_path, json={"name": "Back"}), 404, "status_not_found")
    assert_problem(api.delete(status_path), 404, "status_not_found")
    assert_problem(
        api.patch(tickets_path(brand, f"/{ticket['id']}"), json={"statusId": in_progress["id"]}),
        422,
        "unknown_status",
    )
    assert_problem(
        api.get(tickets_path(brand), params={"status": "in_progress"}), 422, "validation_error"
    )
    # The key is free again; a new status with it is a different status.
    again = make_status(api, brand, name="In Progress", key="in_progress")
    assert again["id"] != in_progress["id"]
