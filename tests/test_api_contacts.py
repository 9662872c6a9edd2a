"""``/api/v1/contacts`` and ``/api/v1/groups``: tokens and roles, masking, problems in the
caller's language, the audit trail; the same rules as the pages."""

from __future__ import annotations

from smsform.services import contacts
from smsform.services.audit import CLI_ACTOR
from tests.api_support import audit_events, bearer, token_user

BASE = "/api/v1/contacts"


def _read_only_token(app):
    from smsform.services import accounts, api_tokens
    from tests.support import make_user

    make_user(app, "reader", "a-long-enough-password", "sender")
    with app.app_context():
        return api_tokens.create(accounts.find_user("reader"), "ro", by=CLI_ACTOR,
                                 read_only=True).token


def test_create_read_change_delete(app, client):
    token = token_user(app)
    made = client.post(BASE, json={"phone": "01012345678", "name": "홍길동",
                                   "fields": {"등급": "VIP"}, "groups": ["VIP"]},
                       headers=bearer(token))
    assert made.status_code == 201
    body = made.get_json()
    assert (body["phone"], body["name"], body["fields"], body["groups"]) == (
        "010-1234-5678", "홍길동", {"등급": "VIP"}, ["VIP"])
    assert made.headers["Location"] == f"{BASE}/{body['id']}"
    assert client.get(made.headers["Location"], headers=bearer(token)).get_json() == body
    patched = client.patch(f"{BASE}/{body['id']}", json={"name": "김철수", "groups": []},
                           headers=bearer(token))
    assert patched.status_code == 200
    assert (patched.get_json()["name"], patched.get_json()["groups"]) == ("김철수", [])
    assert patched.get_json()["fields"] == {"등급": "VIP"}  # not given: unchanged
    assert client.delete(f"{BASE}/{body['id']}", headers=bearer(token)).status_code == 204
    assert client.get(f"{BASE}/{body['id']}", headers=bearer(token)).status_code == 404
    actions = [e.action for e in audit_events(app, "contact_created", "contact_changed",
                                              "contact_deleted")]
    assert actions == ["contact_created", "contact_changed", "contact_deleted"]


def test_list_search_pages_and_groups(app, client):
    token = token_user(app)
    with app.app_context():
        for i in range(5):
            contacts.add_contact(f"010-4000-{i:04d}", name=f"고객{i}", groups=["A"],
                                 by=CLI_ACTOR)
    first = client.get(BASE, query_string={"limit": 2}, headers=bearer(token)).get_json()
    assert [c["name"] for c in first["items"]] == ["고객0", "고객1"] and first["total"] == 5
    second = client.get(BASE, query_string={"limit": 2, "cursor": first["next_cursor"]},
                        headers=bearer(token)).get_json()
    assert [c["name"] for c in second["items"]] == ["고객2", "고객3"]
    found = client.get(BASE, query_string={"q": "01040000003"}, headers=bearer(token))
    assert [c["name"] for c in found.get_json()["items"]] == ["고객3"]
    groups = client.get("/api/v1/groups", headers=bearer(token)).get_json()
    assert [(g["name"], g["count"]) for g in groups["items"]] == [("A", 5)]
    in_group = client.get(BASE, query_string={"group": groups["items"][0]["id"]},
                          headers=bearer(token)).get_json()
    assert in_group["total"] == 5


def test_problems_in_the_callers_language(app, client):
    token = token_user(app)
    client.post(BASE, json={"phone": "010-1234-5678"}, headers=bearer(token))
    taken = client.post(BASE, json={"phone": "01012345678"}, headers=bearer(token))
    assert taken.status_code == 409 and taken.get_json()["code"] == "phone_taken"
    assert "이미" in taken.get_json()["detail"]
    bad = client.post(BASE, json={"phone": "12"},
                      headers=bearer(token, **{"Accept-Language": "en"}))
    assert bad.status_code == 400 and "phone" in bad.get_json()["errors"]
    assert "gateway accepts" in bad.get_json()["errors"]["phone"][0]
    unknown = client.post(BASE, json={"phone": "010-2222-3333", "colour": "x"},
                          headers=bearer(token))
    assert unknown.status_code == 400 and "colour" in unknown.get_json()["errors"]
    not_json = client.post(BASE, data="phone=1", headers=bearer(token))
    assert not_json.status_code == 415
    assert client.patch(f"{BASE}/999", json={}, headers=bearer(token)).status_code == 404


def test_a_viewer_reads_masked_and_may_not_write_or_search_by_number(app, client):
    with app.app_context():
        made = contacts.add_contact("010-1234-5678", name="홍길동", memo="메모", by=CLI_ACTOR)
    token = token_user(app, "viewer")
    listed = client.get(BASE, headers=bearer(token)).get_json()
    assert (listed["items"][0]["phone"], listed["items"][0]["name"],
            listed["items"][0]["memo"]) == ("010-****-5678", "홍*동", "")
    one = client.get(f"{BASE}/{made.id}", headers=bearer(token)).get_json()
    assert one["phone"] == "010-****-5678"
    searched = client.get(BASE, query_string={"q": "5678"}, headers=bearer(token))
    assert searched.status_code == 403 and searched.get_json()["code"] == "numbers_hidden"
    assert client.post(BASE, json={"phone": "010-2222-3333"},
                       headers=bearer(token)).status_code == 403
    assert client.delete(f"{BASE}/{made.id}", headers=bearer(token)).status_code == 403


def test_a_read_only_token_reads_but_never_writes(app, client):
    token = _read_only_token(app)
    assert client.get(BASE, headers=bearer(token)).status_code == 200
    refused = client.post(BASE, json={"phone": "010-2222-3333"}, headers=bearer(token))
    assert refused.status_code == 403 and refused.get_json()["code"] == "read_only_token"


def test_no_token_no_contacts(app, client):
    assert client.get(BASE).status_code == 401
    assert client.get("/api/v1/groups").status_code == 401
    assert "/api/v1/contacts" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_an_id_past_any_id_is_not_found_never_a_500(app):
    token = token_user(app, "sender", "huge-id")
    client = app.test_client()
    huge = "685165093824159619099968667648"
    for method in (client.get, client.delete):
        answer = method(f"/api/v1/contacts/{huge}", headers=bearer(token))
        assert answer.status_code == 404
        assert huge in answer.get_json()["detail"]
