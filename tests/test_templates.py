"""Message templates: the service's rules and audit, and the /templates pages (roles, CSRF)."""

from __future__ import annotations

import json

import pytest

from smsform.services import templates
from smsform.services.audit import CLI_ACTOR
from smsform.services.templates import TemplateError
from tests.api_support import audit_events
from tests.support import field_errors, page, sign_in

NOTICE = "{name}님, 주문하신 상품이 발송되었습니다."


def saved(app, name: str = "발송 안내", text: str = NOTICE, **values):
    """A template saved through the service by the CLI."""
    with app.app_context():
        return templates.create(name, text, by=CLI_ACTOR, **values)


def all_templates(app):
    with app.app_context():
        return templates.list_all()


# --- the service ------------------------------------------------------------------------


def test_a_saved_template_keeps_its_values_and_names_its_fields(app):
    made = saved(app, "  발송 안내 ", "{name}님 {coupon} 쿠폰\r\n{name}", subject=" 안내 ",
                 kind="lms", advertising=True)
    assert (made.name, made.text, made.subject, made.kind, made.advertising) == (
        "발송 안내", "{name}님 {coupon} 쿠폰\n{name}", "안내", "lms", True)
    assert made.fields == ["name", "coupon"]
    assert made.message_kind == "L" and made.lms
    assert (made.created_by, made.updated_by) == ("cli", "cli")
    with app.app_context():
        assert templates.get(made.id) == made
        assert templates.find("발송 안내") == made
        assert templates.find(str(made.id)) == made


@pytest.mark.parametrize(("text", "code"), [
    ("", "msg_empty"),
    ("가" * 1001, "msg_too_long"),
    ("쀍 안녕", "unsupported_chars"),
])
def test_a_text_that_would_not_send_is_refused_with_the_sends_own_problem(app, text, code):
    with app.app_context(), pytest.raises(TemplateError) as refused:
        templates.create("x", text, by=CLI_ACTOR)
    assert refused.value.code == "text_invalid"
    assert code in [p.code for p in refused.value.problems]
    assert all_templates(app) == []


def test_an_sms_template_past_90_bytes_is_refused(app):
    with app.app_context():
        with pytest.raises(TemplateError) as refused:
            templates.create("x", "가" * 46, kind="sms", by=CLI_ACTOR)
        assert (refused.value.code, refused.value.params["length"]) == ("sms_too_long", 92)
        assert templates.create("y", "가" * 45, kind="sms", by=CLI_ACTOR).message_kind == "S"


def test_a_long_subject_is_refused_as_a_sends(app):
    with app.app_context(), pytest.raises(TemplateError) as refused:
        templates.create("x", "안녕", subject="가" * 26, by=CLI_ACTOR)
    assert [p.field for p in refused.value.problems] == ["subject"]


@pytest.mark.parametrize(("name", "code"), [("", "name_invalid"), ("a" * 65, "name_invalid"),
                                            ("a\tb", "name_invalid")])
def test_names_are_judged(app, name, code):
    with app.app_context(), pytest.raises(TemplateError) as refused:
        templates.create(name, "안녕", by=CLI_ACTOR)
    assert refused.value.code == code


def test_a_name_is_unique_and_an_unknown_kind_refused(app):
    first = saved(app, "안내")
    with app.app_context():
        with pytest.raises(TemplateError) as taken:
            templates.create("안내", "다른 글", by=CLI_ACTOR)
        assert taken.value.code == "name_taken"
        other = templates.create("다른", "다른 글", by=CLI_ACTOR)
        with pytest.raises(TemplateError) as renamed:
            templates.change(other.id, "안내", "다른 글", by=CLI_ACTOR)
        assert renamed.value.code == "name_taken"
        with pytest.raises(TemplateError) as kind:
            templates.create("세번째", "글", kind="mms", by=CLI_ACTOR)
        assert kind.value.code == "kind_invalid"
    assert [t.id for t in all_templates(app)] == [other.id, first.id]  # by name


def test_create_change_and_delete_are_audited(app):
    made = saved(app, "안내")
    with app.app_context():
        templates.change(made.id, "안내", NOTICE, by=CLI_ACTOR)  # nothing changed: no event
        templates.change(made.id, "새 안내", "새 글", kind="lms", by=CLI_ACTOR)
        templates.remove(made.id, by=CLI_ACTOR)
        with pytest.raises(TemplateError) as gone:
            templates.remove(made.id, by=CLI_ACTOR)
        assert gone.value.code == "not_found"
    created, changed, deleted = audit_events(app, "template_created", "template_changed",
                                             "template_deleted")
    assert (created.target, json.loads(created.detail)) == (
        "안내", {"id": made.id, "kind": "auto", "advertising": False})
    assert changed.target == "새 안내"
    assert json.loads(changed.detail) == {"id": made.id, "changed": ["name", "text", "kind"],
                                          "before": "안내"}
    assert (deleted.action, deleted.target, deleted.actor) == ("template_deleted", "새 안내",
                                                               "cli")


# --- the pages --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "may_edit"), [("admin", True), ("sender", True),
                                                ("viewer", False)])
def test_everyone_reads_the_list_and_only_admins_and_senders_edit(app, role, may_edit):
    made = saved(app)
    browser = sign_in(app, role)
    soup = page(browser.get("/templates"))
    row = soup.select_one(f"#template-{made.id}")
    assert row.select_one(".name").get_text(strip=True) == "발송 안내"
    assert row.select_one(".text .pre").get_text() == NOTICE
    assert [c.get_text() for c in row.select(".fields code")] == ["{name}"]
    assert (row.select_one("a.edit") is not None) is may_edit
    assert (soup.select_one("#new-template") is not None) is may_edit
    assert (row.select_one("a.use") is not None) is (role != "viewer")
    for url in ("/templates/new", f"/templates/{made.id}/edit", f"/templates/{made.id}/delete"):
        assert (browser.get(url).status_code == 200) is may_edit
    posted = browser.post("/templates/new", data={"name": "x", "text": "글", "kind": "auto"})
    assert (posted.status_code == 303) is may_edit
    assert browser.get("/templates").status_code == 200
    assert (soup.select_one('nav a[href="/templates"]') is not None)


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get("/templates").status_code == 302


def test_a_sender_saves_edits_and_deletes_on_the_pages(app):
    browser = sign_in(app, "sender", "alice")
    response = browser.post("/templates/new", data={
        "name": "쿠폰", "text": "(광고) {name}님 쿠폰", "subject": "", "kind": "lms",
        "advertising": "y"})
    assert response.status_code == 303
    [made] = all_templates(app)
    assert (made.kind, made.advertising, made.created_by) == ("lms", True, "alice")
    edit = page(browser.get(f"/templates/{made.id}/edit"))
    assert edit.select_one("#name")["value"] == "쿠폰"
    assert edit.select_one("#kind option[selected]")["value"] == "lms"
    assert edit.select_one("#advertising").has_attr("checked")
    response = browser.post(f"/templates/{made.id}/edit", data={
        "name": "쿠폰 2", "text": "새 글", "kind": "auto"})
    assert response.status_code == 303
    [changed] = all_templates(app)
    assert (changed.name, changed.text, changed.advertising) == ("쿠폰 2", "새 글", False)
    assert "쿠폰 2" in page(browser.get(response.location)).select_one("p.flash").text
    confirm = page(browser.get(f"/templates/{made.id}/delete"))
    assert confirm.select_one("#delete-text").get_text() == "새 글"
    assert browser.post(f"/templates/{made.id}/delete").status_code == 303
    assert all_templates(app) == []
    assert browser.get(f"/templates/{made.id}/edit").status_code == 404
    assert [e.actor for e in audit_events(app, "template_created", "template_changed",
                                          "template_deleted")] == ["alice"] * 3


def test_a_refused_text_comes_back_with_its_problem_beside_the_field(app):
    browser = sign_in(app, "sender")
    response = browser.post("/templates/new", data={"name": "x", "text": "쀍", "kind": "auto"})
    assert response.status_code == 400
    soup = page(response)
    assert field_errors(soup, "text")
    assert soup.select_one("#text").get_text().strip() == "쀍"  # what was typed is kept
    saved(app, "안내")
    response = browser.post("/templates/new", data={"name": "안내", "text": "글",
                                                    "kind": "sms"})
    assert response.status_code == 400
    assert field_errors(page(response), "name")
    response = browser.post("/templates/new", data={"name": "긴", "text": "가" * 50,
                                                    "kind": "sms"})
    assert field_errors(page(response), "kind")
    assert len(all_templates(app)) == 1


def test_the_pages_need_their_csrf_token(csrf_app):
    browser = sign_in(csrf_app, "sender")
    assert browser.post("/templates/new", data={"name": "x", "text": "글"}).status_code == 400
    made = saved(csrf_app)
    assert browser.post(f"/templates/{made.id}/delete").status_code == 400
    assert len(all_templates(csrf_app)) == 1
    form = page(browser.get(f"/templates/{made.id}/delete")).select_one("#delete-form")
    token = form.select_one("input[name=csrf_token]")["value"]
    assert browser.post(f"/templates/{made.id}/delete",
                        data={"csrf_token": token}).status_code == 303
    assert all_templates(csrf_app) == []


def test_an_unknown_template_is_not_found(app):
    browser = sign_in(app, "admin")
    for url in ("/templates/5/edit", "/templates/5/delete", "/templates/99999999999999/edit"):
        assert browser.get(url).status_code == 404


def test_the_chooser_list_is_for_senders(app):
    made = saved(app, kind="lms", subject="안내")
    listed = sign_in(app, "sender").get("/templates.json").get_json()
    assert listed == {"templates": [{
        "id": made.id, "name": "발송 안내", "text": NOTICE, "subject": "안내", "kind": "lms",
        "lms": True, "advertising": False, "fields": ["{name}"]}]}
    assert sign_in(app, "viewer").get("/templates.json").status_code == 403


# --- the send form, without JavaScript ---------------------------------------------------


def test_use_on_the_form_opens_it_filled_in(app, backend):
    made = saved(app, subject="배송", kind="lms")
    browser = sign_in(app, "sender")
    use = page(browser.get("/templates")).select_one(f"#template-{made.id} a.use")["href"]
    assert use == f"/smsform?template={made.id}"
    soup = page(browser.get(use + "&rphone=010-2222-3333"))
    assert soup.select_one("#msg").get_text().strip() == NOTICE
    assert soup.select_one("#subject")["value"] == "배송"
    assert soup.select_one("#smsType").has_attr("checked")
    assert soup.select_one("#rphone").get_text().strip() == "010-2222-3333"  # kept
    notice = soup.select_one("#template-chosen").get_text()
    assert "발송 안내" in notice and "{name}" in notice
    plain = page(browser.get("/smsform"))
    assert plain.select_one("#template-chosen") is None
    assert plain.select_one("#template-chooser a#templates-link")["href"] == "/templates"
    assert plain.select_one("#template-select").find("option") is None  # asked for by JS


def test_an_auto_template_leaves_the_lms_switch_alone(app):
    made = saved(app, "짧은", "짧은 글")
    soup = page(sign_in(app, "sender").get(f"/smsform?template={made.id}&smsType=L"))
    assert soup.select_one("#msg").get_text().strip() == "짧은 글"
    assert not soup.select_one("#smsType").has_attr("checked")


@pytest.mark.parametrize("ref", ["7", "x", "99999999999999999999"])
def test_an_unknown_template_on_the_form_says_so(app, ref):
    soup = page(sign_in(app, "sender").get(f"/smsform?template={ref}&msg=hi"))
    assert ref[:20] in soup.select_one("#template-missing").get_text()
    assert soup.select_one("#msg").get_text().strip() == "hi"
