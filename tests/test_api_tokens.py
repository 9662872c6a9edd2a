"""API tokens: the /account/tokens page, the `token` commands, and their audit trail."""

from __future__ import annotations

import json
import re

import pytest

from smsform.services import accounts, api_tokens
from smsform.services.audit import CLI_ACTOR
from tests.api_support import audit_events, bearer, token_rows, token_user
from tests.support import field_errors, make_user, page, sign_in

BALANCE = "/api/v1/balance"


def make_token(client, name: str = "shop"):
    return client.post("/account/tokens", data={"name": name})


# --- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "sender", "viewer"])
def test_every_signed_in_person_has_the_page(app, role):
    response = sign_in(app, role).get("/account/tokens")
    assert response.status_code == 200
    soup = page(response)
    assert soup.select_one("#token-form input[name=name]") is not None
    assert soup.select_one("#no-tokens") is not None
    assert soup.select_one("a#api-reference")["href"] == "/static/api/index.html"
    assert (soup.select_one("#no-send") is not None) == (role == "viewer")


def test_the_anonymous_are_sent_to_sign_in(app, client):
    make_user(app, "root", "a-long-enough-password", "admin")
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_token_is_shown_once_and_works(app):
    browser = sign_in(app, "sender", "alice")
    response = make_token(browser)
    assert response.status_code == 200
    token = page(response).select_one("#issued-token").get_text(strip=True)
    assert token.startswith("smsf_")
    assert app.test_client().get(BALANCE, headers=bearer(token)).status_code == 200
    again = browser.get("/account/tokens")
    assert token not in again.get_data(as_text=True)
    [row] = page(again).select("#tokens tbody tr")
    assert row["data-name"] == "shop"
    shown_prefix = "_".join(token.split("_")[:2]) + "_…"  # the secret may hold "_" too
    assert row.select_one(".prefix").get_text(strip=True) == shown_prefix
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}",  # it was used just now
                        row.select_one(".last-used").get_text(strip=True))


@pytest.mark.parametrize(("name", "words"), [
    ("", None), ("x" * 65, "64"), ("shop", "already")])
def test_a_bad_name_is_refused_beside_the_field(app, name, words):
    browser = sign_in(app, "sender", "alice")
    make_token(browser, "shop")
    response = browser.post("/account/tokens", data={"name": name}, headers={
        "Accept-Language": "en"}, query_string={"lang": "en"})
    assert response.status_code == 400
    errors = field_errors(page(response), "name")
    assert errors and (words is None or words in errors[0])
    assert len(token_rows(app)) == 1


def test_the_page_lists_only_ones_own_tokens(app):
    token_user(app, "sender", "bob", name="bobs")
    browser = sign_in(app, "sender", "alice")
    make_token(browser, "mine")
    names = [row["data-name"] for row in page(browser.get("/account/tokens")).select(
        "#tokens tbody tr")]
    assert names == ["mine"]


def test_revoking_on_the_page_stops_the_token(app):
    browser = sign_in(app, "sender", "alice")
    token = page(make_token(browser)).select_one("#issued-token").get_text(strip=True)
    [row] = token_rows(app)
    response = browser.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 303
    assert app.test_client().get(BALANCE, headers=bearer(token)).status_code == 401
    listed = page(browser.get("/account/tokens")).select_one(f"#token-{row.id}")
    assert "revoked" in listed["class"] and listed.select_one(".revoke") is None


@pytest.mark.parametrize(("token_id", "status"), [("9223372036854775808", 404),
                                                  ("9223372036854775807", 303)])
def test_a_token_id_no_table_holds_is_not_found_never_a_500(app, token_id, status):
    browser = sign_in(app, "sender")
    assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == status


def test_nobody_revokes_another_persons_token(app):
    token = token_user(app, "sender", "bob")
    [row] = token_rows(app)
    browser = sign_in(app, "admin", "root")
    browser.post(f"/account/tokens/{row.id}/revoke")
    assert app.test_client().get(BALANCE, headers=bearer(token)).status_code == 200
    assert audit_events(app, "api_token_revoked") == []


def test_the_page_needs_its_csrf_token(csrf_app):  # noqa: F811
    browser = sign_in(csrf_app, "sender", "alice")
    assert browser.post("/account/tokens", data={"name": "shop"}).status_code == 400
    form = page(browser.get("/account/tokens")).select_one("#token-form")
    csrf = form.select_one("input[name=csrf_token]")["value"]
    response = browser.post("/account/tokens", data={"name": "shop", "csrf_token": csrf})
    assert page(response).select_one("#issued-token") is not None


def test_making_and_revoking_on_the_page_are_audited(app):
    browser = sign_in(app, "sender", "alice")
    make_token(browser, "shop")
    [row] = token_rows(app)
    browser.post(f"/account/tokens/{row.id}/revoke")
    made, revoked = audit_events(app, "api_token_created", "api_token_revoked")
    assert (made.action, made.actor, made.target) == ("api_token_created", "alice", "alice")
    assert json.loads(made.detail) == {"token": "shop", "id": row.id, "read_only": False}
    assert (revoked.action, revoked.actor, revoked.target) == ("api_token_revoked", "alice",
                                                               "alice")


# --- the commands -------------------------------------------------------------------------


def test_create_json_prints_exactly_the_token(app, runner):
    make_user(app, "alice", "a-long-enough-password", "sender")
    result = runner.invoke(args=["token", "create", "--user", "alice", "--name", "cron",
                                 "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert list(printed) == ["token"]
    assert app.test_client().get(BALANCE, headers=bearer(printed["token"])).status_code == 200
    [event] = audit_events(app, "api_token_created")
    assert (event.actor, event.target) == ("cli", "alice")


def test_create_without_json_shows_the_token_once(app, runner):
    make_user(app, "alice", "a-long-enough-password", "sender")
    result = runner.invoke(args=["token", "create", "--user", "alice", "--name", "cron"])
    assert result.exit_code == 0
    token = next(line for line in result.output.splitlines() if line.startswith("smsf_"))
    listed = runner.invoke(args=["token", "list"]).output
    assert token not in listed and "cron" in listed and "alice" in listed


@pytest.mark.parametrize("args", [
    ["token", "create", "--user", "nobody", "--name", "x"],
    ["token", "create", "--user", "alice", "--name", " "],
    ["token", "revoke", "unknown", "--user", "alice"],
    ["token", "list", "--user", "nobody"],
])
def test_commands_refuse_with_exit_1(app, runner, args):
    make_user(app, "alice", "a-long-enough-password", "sender")
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "Error" in result.output


def test_list_filters_by_user(app, runner):
    token_user(app, "sender", "alice", name="a-token")
    token_user(app, "sender", "bob", name="b-token")
    lines = runner.invoke(args=["token", "list", "--user", "bob"]).output.splitlines()
    assert lines[0].startswith("id\tuser\tname") and len(lines) == 2
    assert "\tbob\tb-token\t" in lines[1] and lines[1].endswith("active")


@pytest.mark.parametrize("by", ["name", "id"])
def test_revoke_by_name_or_id(app, runner, by):
    token = token_user(app, "sender", "alice", name="cron")
    [row] = token_rows(app)
    ref = "cron" if by == "name" else str(row.id)
    result = runner.invoke(args=["token", "revoke", ref, "--user", "alice"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert app.test_client().get(BALANCE, headers=bearer(token)).status_code == 401
    [event] = audit_events(app, "api_token_revoked")
    assert (event.actor, event.target) == ("cli", "alice")
    again = runner.invoke(args=["token", "revoke", str(row.id), "--user", "alice"])
    assert again.exit_code == 0 and "already" in again.output


def test_a_revoked_name_may_be_used_again(app):
    make_user(app, "alice", "a-long-enough-password", "sender")
    with app.app_context():
        user = accounts.find_user("alice")
        first = api_tokens.create(user, "cron", by=CLI_ACTOR)
        with pytest.raises(api_tokens.TokenError):
            api_tokens.create(user, "cron", by=CLI_ACTOR)
        api_tokens.revoke(first.id, user_id=user.id, by=CLI_ACTOR)
        assert api_tokens.create(user, "cron", by=CLI_ACTOR).token != first.token


def test_a_disabled_user_gets_no_token(app, runner):
    make_user(app, "root", "a-long-enough-password", "admin")
    make_user(app, "alice", "a-long-enough-password", "sender")
    with app.app_context():
        accounts.disable(accounts.find_user("alice"), by=CLI_ACTOR)
    result = runner.invoke(args=["token", "create", "--user", "alice", "--name", "x"])
    assert result.exit_code == 1 and token_rows(app) == []
