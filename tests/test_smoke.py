from tests.conftest import make_ticket


def test_ticket_round_trip(api, brand):
    ticket = make_ticket(api, brand)
    got = api.ok("get", f"/brands/{brand['id']}/tickets/{ticket['id']}")
    assert got["status"] == "open"
