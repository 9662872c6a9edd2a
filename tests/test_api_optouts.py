"""``/api/v1/optouts``: record, list, search and remove through the token API; tokens and
roles, masking, problems in the caller's language, the audit trail, the OpenAPI paths."""

from __future__ import annotations

from smsform.services import accounts, api_tokens, optouts
from smsform.services.audit import CLI_ACTOR
from smsform.services.optouts import Search
from smsform.states import OptOutVia
from tests.api_support import audit_events, bearer, token_user
from tests.support import make_user

BASE = "/api/v1/optouts"


def test_record_list_and_remove(app, client):
    token = token_user(app)
    made = client.post(BASE, json={"phone": "01012345678", "memo": "080 전화"},
                       headers=bearer(token))
    assert made.status_code == 201
    body = made.get_json()
    assert (body["phone"], body["via"], body["memo"]) == ("010-1234-5678", "api", "080 전화")
    again = client.post(BASE, json={"phone": "010-1234-5678"}, headers=bearer(token))
    assert again.status_code == 200 and again.get_json()["memo"] == "080 전화"
    listed = client.get(BASE, headers=bearer(token)).get_json()
    assert listed["total"] == 1 and listed["items"][0]["phone"] == "010-1234-5678"
    no_reason = client.delete(f"{BASE}/010-1234-5678", headers=bearer(token))
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["errors"]
    gone = client.delete(f"{BASE}/01012345678", query_string={"reason": "재동의"},
                         headers=bearer(token))
    assert gone.status_code == 204
    again_gone = client.delete(f"{BASE}/01012345678", query_string={"reason": "x"},
                               headers=bearer(token))
    assert again_gone.status_code == 404 and again_gone.get_json()["code"] == "not_found"
    with app.app_context():
        assert optouts.removals(Search()).items[0].reason == "재동의"
    assert [e.action for e in audit_events(app, "optout_added", "optout_removed")] == [
        "optout_added", "optout_removed"]


def test_search_and_pages(app, client):
    with app.app_context():
        for i in range(5):
            optouts.add(f"010-4000-{i:04d}", via=OptOutVia.CLI, by=CLI_ACTOR)
    token = token_user(app)
    first = client.get(BASE, query_string={"limit": 2}, headers=bearer(token)).get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    third = client.get(BASE, query_string={"limit": 2, "page": 3},
                       headers=bearer(token)).get_json()
    assert [e["phone"] for e in third["items"]] == ["010-4000-0000"]
    for q in ("01040000003", "010-4000-0003"):
        found = client.get(BASE, query_string={"q": q}, headers=bearer(token)).get_json()
        assert [e["phone"] for e in found["items"]] == ["010-4000-0003"]


def test_problems_in_the_callers_language(app, client):
    token = token_user(app)
    bad = client.post(BASE, json={"phone": "12"},
                      headers=bearer(token, **{"Accept-Language": "en"}))
    assert bad.status_code == 400 and "phone" in bad.get_json()["errors"]
    assert "Korean phone number" in bad.get_json()["errors"]["phone"][0]
    korean = client.post(BASE, json={"phone": "12"}, headers=bearer(token))
    assert "전화번호" in korean.get_json()["errors"]["phone"][0]
    unknown = client.post(BASE, json={"phone": "010-2222-3333", "colour": "x"},
                          headers=bearer(token))
    assert unknown.status_code == 400 and "colour" in unknown.get_json()["errors"]
    assert client.post(BASE, data="phone=1", headers=bearer(token)).status_code == 415
    words = client.get(BASE, query_string={"q": "홍길동"}, headers=bearer(token))
    assert words.status_code == 400 and "q" in words.get_json()["errors"]


def test_a_viewer_reads_masked_and_may_not_write(app, client):
    with app.app_context():
        optouts.add("010-1234-5678", via=OptOutVia.CLI, by=CLI_ACTOR, memo="메모")
    token = token_user(app, "viewer")
    listed = client.get(BASE, headers=bearer(token)).get_json()
    assert (listed["items"][0]["phone"], listed["items"][0]["memo"]) == ("010-****-5678",
                                                                         None)
    part = client.get(BASE, query_string={"q": "5678"}, headers=bearer(token))
    assert part.status_code == 403 and part.get_json()["code"] == "numbers_hidden"
    whole = client.get(BASE, query_string={"q": "01012345678"}, headers=bearer(token))
    assert whole.get_json()["total"] == 1
    assert client.post(BASE, json={"phone": "010-2222-3333"},
                       headers=bearer(token)).status_code == 403
    assert client.delete(f"{BASE}/01012345678", query_string={"reason": "x"},
                         headers=bearer(token)).status_code == 403
    with app.app_context():
        assert optouts.search(Search()).total == 1


def test_a_read_only_token_reads_but_never_writes(app, client):
    make_user(app, "reader", "a-long-enough-password", "sender")
    with app.app_context():
        token = api_tokens.create(accounts.find_user("reader"), "ro", by=CLI_ACTOR,
                                  read_only=True).token
    assert client.get(BASE, headers=bearer(token)).status_code == 200
    refused = client.post(BASE, json={"phone": "010-2222-3333"}, headers=bearer(token))
    assert refused.status_code == 403 and refused.get_json()["code"] == "read_only_token"


def test_no_token_no_list_and_the_paths_are_documented(app, client):
    assert client.get(BASE).status_code == 401
    assert client.post(BASE, json={"phone": "010-2222-3333"}).status_code == 401
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths[BASE]) == {"get", "post"}
    assert "delete" in paths[BASE + "/{number}"]
