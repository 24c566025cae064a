import json
from tests.conftest import make_ticket, make_status

def test_probe(api, brand, statuses):
    b = brand["id"]
    print(json.dumps(list(statuses.values())[0], indent=1))
    s = make_status(api, brand, color="#8B5CF6")
    print(s)
    t = make_ticket(api, brand)
    api.ok("patch", f"/brands/{b}/tickets/{t['id']}", json={"status": "in_progress"})
    print(json.dumps(api.ok("get", f"/brands/{b}/tickets/{t['id']}/logs"), indent=1))
    print(api.ok("get", f"/brands/{b}/statuses/stats")[0])
    r = api.delete(f"/brands/{b}/statuses/{s['id']}?replacementStatusId={statuses['open']['id']}", json={"replacementStatusKey": "pending"})
    print(r.status_code, r.text)
    r = api.delete(f"/brands/{b}/statuses/{s['id']}?replacementStatusId={statuses['open']['id']}&replacementStatusKey=pending")
    print(r.status_code, r.text)
    r = api.post(f"/brands/{b}/statuses", json={"name": "X", "key": "x", "bogus": 1, "color": "red"})
    print(r.status_code, r.headers["content-type"], r.text)
    r = api.patch(f"/brands/{b}/statuses/{statuses['open']['id']}", json={"color": None})
    print(r.status_code, r.text)
