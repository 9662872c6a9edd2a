"""The address book's pages: search and pages, by hand, import with its row report, the
CSV export, groups; masking for viewers, CSRF, the audit trail and the navigation."""

from __future__ import annotations

import io

import pytest

from smsform.services import contacts
from smsform.services.audit import CLI_ACTOR
from tests.api_support import audit_events
from tests.lists_support import XLS_FIXTURE, csv_bytes, xlsx
from tests.support import page, sign_in


@pytest.fixture
def sender(app):
    return sign_in(app, "sender")


def _add(app, phone="010-1234-5678", **kwargs):
    with app.app_context():
        return contacts.add_contact(phone, **kwargs, by=CLI_ACTOR)


def test_a_sender_adds_edits_and_deletes_a_contact_by_hand(app, sender):
    answer = sender.post("/contacts/new", data={
        "phone": "01012345678", "name": "홍길동", "memo": "단골", "fields": "등급: VIP",
        "groups": "VIP, 행사"})
    assert answer.status_code == 302
    listed = page(sender.get("/contacts?lang=ko"))
    row = listed.select_one("#contacts tbody tr")
    assert row.select_one(".number").text == "010-1234-5678"
    assert row.select_one(".groups").text == "VIP, 행사"
    contact_id = int(row["data-id"])
    form = page(sender.get(f"/contacts/{contact_id}"))
    assert form.select_one("#fields").text.strip() == "등급: VIP"
    assert sender.post(f"/contacts/{contact_id}", data={
        "phone": "010-1234-5678", "name": "김철수", "memo": "", "fields": "",
        "groups": "VIP"}).status_code == 302
    with app.app_context():
        changed = contacts.get_contact(contact_id)
    assert (changed.name, changed.fields, changed.groups) == ("김철수", {}, ("VIP",))
    assert sender.post(f"/contacts/{contact_id}/delete").status_code == 302
    assert page(sender.get("/contacts")).select_one("#no-contacts") is not None
    assert [e.action for e in audit_events(app, "contact_created", "contact_changed",
                                           "contact_deleted")] == [
        "contact_created", "contact_changed", "contact_deleted"]


def test_a_bad_contact_is_shown_beside_its_field_in_korean(app, sender):
    _add(app)
    answer = sender.post("/contacts/new?lang=ko", data={"phone": "010-1234-5678"})
    assert answer.status_code == 400
    errors = page(answer).select_one("#phone-error").text
    assert "이미" in errors
    bad = sender.post("/contacts/new?lang=ko", data={"phone": "12"})
    assert "12" in page(bad).select_one("#phone-error").text


def test_a_viewer_reads_masked_and_cannot_edit_or_search_by_number(app):
    _add(app, name="홍길동", memo="비밀 메모", fields={"등급": "VIP"})
    viewer = sign_in(app, "viewer")
    listed = page(viewer.get("/contacts?lang=ko"))
    row = listed.select_one("#contacts tbody tr")
    assert row.select_one(".number").text == "010-****-5678"
    assert row.select_one(".name").text == "홍*동" and row.select_one(".memo").text == ""
    assert listed.select_one("#add-contact") is None and listed.select(".edit") == []
    assert "5678" not in "".join(listed.select_one("#contacts").stripped_strings).replace(
        "010-****-5678", "")
    searched = page(viewer.get("/contacts?q=010-1234"))
    assert searched.select_one("#page-error") is not None
    assert viewer.post("/contacts/new", data={"phone": "010-2222-3333"}).status_code == 403
    assert viewer.get("/contacts/1").status_code == 403
    assert viewer.post("/contacts/1/delete").status_code == 403
    assert viewer.post("/contacts/groups", data={"name": "x"}).status_code == 403
    exported = viewer.get("/contacts/export.csv").get_data(as_text=True)
    assert "010-****-5678" in exported and "010-1234-5678" not in exported
    assert "비밀" not in exported


def test_search_and_pages_on_the_page(app, sender):
    with app.app_context():
        for i in range(60):
            contacts.add_contact(f"010-3000-{i:04d}", name=f"고객{i:02d}", by=CLI_ACTOR)
    first = page(sender.get("/contacts"))
    assert len(first.select("#contacts tbody tr")) == 50
    assert first.select_one("#total").text == "60"
    second = page(sender.get(first.select_one("#next-page")["href"]))
    assert [r.select_one(".name").text for r in second.select("#contacts tbody tr")] == [
        f"고객{i:02d}" for i in range(50, 60)]
    assert second.select_one("#next-page") is None and second.select_one("#first-page")
    for q in ("01030000007", "010-3000-0007", "0007", "고객07"):
        found = page(sender.get("/contacts", query_string={"q": q}))
        assert [r.select_one(".name").text for r in found.select("#contacts tbody tr")] == [
            "고객07"], q


def test_import_a_cp949_csv_into_a_group_shows_the_row_report(app, sender):
    rows = [("이름", "휴대폰", "등급"), ("홍길동", "010-1234-5678", "VIP"),
            ("김철수", "없음", ""), ("박", "01012345678", "")]
    answer = sender.post("/contacts/import?lang=ko", data={
        "file": (io.BytesIO(csv_bytes(rows, "cp949")), "고객.csv"), "group": "행사",
        "update_names": "y"}, content_type="multipart/form-data")
    assert answer.status_code == 200
    shown = page(answer)
    assert shown.select_one("#count-added").text == "1"
    assert shown.select_one("#count-refused").text == "1"
    assert shown.select_one("#count-duplicates").text == "1"
    report = [[td.text for td in tr.select("td")] for tr in shown.select("#row-report tbody tr")]
    assert report[0][:2] == ["3", "없음"] and report[1][0] == "4" and "2" in report[1][2]
    with app.app_context():
        group = contacts.find_group("행사")
        assert group.count == 1
    [event] = audit_events(app, "contacts_imported")
    assert '"added": 1' in event.detail and '"refused": 1' in event.detail


@pytest.mark.parametrize(("data", "name"), [
    (xlsx([("이름", "전화번호"), ("홍길동", 1012345678)]), "a.xlsx"),
    (XLS_FIXTURE.read_bytes(), "a.xls"),
])
def test_import_a_workbook(app, sender, data, name):
    answer = sender.post("/contacts/import", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert answer.status_code == 200
    with app.app_context():
        assert contacts.find_by_phone("010-1234-5678").name == "홍길동"


@pytest.mark.parametrize(("data", "name", "words"), [
    (b"", "a.csv", "빈 파일"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a.csv", "CSV"),
    (csv_bytes([("이름",), ("홍길동",)]), "a.csv", "전화번호 열"),
    (b"PK\x03\x04" + b"\0" * 50, "a.xlsx", "엑셀"),
])
def test_a_bad_file_is_refused_in_korean_never_a_500(app, sender, data, name, words):
    answer = sender.post("/contacts/import?lang=ko", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
    assert answer.status_code == 400
    assert words in page(answer).select_one("#import-error").text
    assert audit_events(app, "contacts_imported") == []


def test_the_export_is_csv_with_bom_and_neutralised_formulas(app, sender):
    _add(app, name="=HYPERLINK(\"x\")", memo="@SUM(1)", fields={"등급": "+VIP"}, groups=["g"])
    answer = sender.get("/contacts/export.csv")
    assert answer.mimetype == "text/csv"
    body = answer.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "전화번호,이름,메모,그룹,등급"
    assert "'=HYPERLINK" in text and "'@SUM(1)" in text and "'+VIP" in text
    assert "010-1234-5678" in text
    [event] = audit_events(app, "contacts_exported")
    assert '"masked": false' in event.detail


def test_groups_are_added_listed_and_deleted_keeping_their_contacts(app, sender):
    assert sender.post("/contacts/groups", data={"name": "VIP"}).status_code == 302
    taken = sender.post("/contacts/groups?lang=ko", data={"name": "VIP"})
    assert taken.status_code == 400 and "이미" in taken.get_data(as_text=True)
    contact = _add(app, groups=["VIP"])
    listed = page(sender.get("/contacts/groups"))
    [row] = listed.select("#groups tbody tr")
    assert row.select_one(".count").text == "1"
    in_group = page(sender.get(f"/contacts?group={row['data-id']}"))
    assert len(in_group.select("#contacts tbody tr")) == 1
    assert sender.post(f"/contacts/groups/{row['data-id']}/delete").status_code == 302
    with app.app_context():
        assert contacts.get_contact(contact.id).groups == ()
        assert contacts.list_groups() == []


def test_the_pages_need_their_csrf_token(csrf_app):
    client = sign_in(csrf_app, "sender")
    assert client.post("/contacts/new", data={"phone": "010-1234-5678"}).status_code == 400
    assert client.post("/contacts/groups", data={"name": "x"}).status_code == 400
    with csrf_app.app_context():
        assert contacts.search(contacts.Search()).items == []


def test_the_address_book_is_in_the_navigation(app, sender):
    nav = page(sender.get("/contacts"))
    link = nav.select_one("#nav-contacts-index")
    assert link is not None and link["href"] == "/contacts"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_import_reads_each_encoding_excel_saves(app, sender, encoding):
    data = csv_bytes([("성명", "핸드폰", "지역"), ("홍길동", "010-1234-5678", "서울")], encoding)
    answer = sender.post("/contacts/import", data={"file": (io.BytesIO(data), "list.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 200
    with app.app_context():
        found = contacts.find_by_phone("010-1234-5678")
        assert (found.name, found.fields) == ("홍길동", {"지역": "서울"})


def test_a_file_over_the_body_limit_is_refused_not_a_500(app, sender):
    big = csv_bytes([("전화번호",), *((f"010-{1000 + i // 10000}-{i % 10000:04d}",)
                                      for i in range(90_000))])
    assert len(big) > 1024 * 1024
    answer = sender.post("/contacts/import?lang=ko", data={"file": (io.BytesIO(big), "a.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 413
    assert audit_events(app, "contacts_imported") == []
