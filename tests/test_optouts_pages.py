"""The opt-out list's pages: add, remove with a reason, import (file and paste) with the
row report, search and pages, the CSV export, the removals' history; masking and no
editing for viewers, CSRF, the audit trail and the navigation."""

from __future__ import annotations

import io

from smsform.services import optouts
from smsform.services.audit import CLI_ACTOR
from smsform.services.optouts import Search
from smsform.states import OptOutVia
from tests.api_support import audit_events
from tests.lists_support import csv_bytes, xlsx
from tests.support import page, sign_in


def _add(app, phone="010-1234-5678", memo=None):
    with app.app_context():
        return optouts.add(phone, via=OptOutVia.CLI, by=CLI_ACTOR, memo=memo)


def test_a_sender_records_and_removes_an_opt_out(app):
    sender = sign_in(app, "sender")
    assert sender.post("/optouts", data={"phone": "01012345678", "memo": "전화"}
                       ).status_code == 302
    listed = page(sender.get("/optouts?lang=ko"))
    row = listed.select_one("#optouts tbody tr")
    assert row.select_one(".number").text == "010-1234-5678"
    assert row.select_one(".via").text == "직접 입력"
    assert row.select_one(".memo").text == "전화"
    again = sender.post("/optouts?lang=ko", data={"phone": "010-1234-5678"},
                        follow_redirects=True)
    assert "이미" in again.get_data(as_text=True)
    form = page(sender.get(row.select_one(".remove")["href"]))
    assert form.select_one("#phone")["value"] == "010-1234-5678"
    assert "010-1234-5678" in form.select_one("#optout-entry").text
    no_reason = sender.post("/optouts/remove?lang=ko", data={"phone": "010-1234-5678"})
    assert no_reason.status_code == 400 and page(no_reason).select_one("#reason-error")
    assert sender.post("/optouts/remove", data={"phone": "010-1234-5678",
                                                "reason": "다시 동의"}).status_code == 302
    assert page(sender.get("/optouts")).select_one("#no-optouts") is not None
    history = page(sender.get("/optouts/removed"))
    assert history.select_one("#removals .reason").text == "다시 동의"
    actions = [(e.action, e.actor) for e in audit_events(app, "optout_added",
                                                         "optout_removed")]
    assert actions == [("optout_added", "sender-user"), ("optout_removed", "sender-user")]


def test_a_bad_number_is_shown_beside_its_field_in_korean(app):
    sender = sign_in(app, "sender")
    answer = sender.post("/optouts?lang=ko", data={"phone": "12"})
    assert answer.status_code == 400
    assert "12" in page(answer).select_one("#phone-error").text
    gone = sender.post("/optouts/remove?lang=ko", data={"phone": "010-9999-0000",
                                                        "reason": "x"})
    assert gone.status_code == 400 and "010-9999-0000" in page(gone).select_one(
        "#phone-error").text


def test_search_and_pages(app):
    with app.app_context():
        for i in range(55):
            optouts.add(f"010-7000-{i:04d}", via=OptOutVia.CLI, by=CLI_ACTOR)
    sender = sign_in(app, "sender")
    first = page(sender.get("/optouts"))
    assert len(first.select("#optouts tbody tr")) == 50
    assert first.select_one("#total").text == "55"
    second = page(sender.get(first.select_one("a[rel=next]")["href"]))
    assert len(second.select("#optouts tbody tr")) == 5
    for q in ("010-7000-0042", "01070000042", "0042"):
        found = page(sender.get("/optouts", query_string={"q": q}))
        assert [td.text for td in found.select("#optouts .number")] == ["010-7000-0042"]
    bad = page(sender.get("/optouts?q=홍길동&lang=ko"))
    assert bad.select_one("#page-error") is not None


def test_a_viewer_reads_masked_and_cannot_edit(app):
    _add(app, memo="비밀 메모")
    viewer = sign_in(app, "viewer")
    listed = page(viewer.get("/optouts?lang=ko"))
    assert listed.select_one("#optouts .number").text == "010-****-5678"
    assert listed.select_one("#optouts .memo") is None
    assert "비밀" not in listed.text and "1234" not in listed.select_one("#optouts").text
    assert listed.select_one("#add-optout") is None and listed.select(".remove") == []
    assert listed.select_one("#import-optouts") is None
    part = page(viewer.get("/optouts?q=5678"))
    assert part.select_one("#page-error") is not None  # a part would tell hidden digits
    whole = page(viewer.get("/optouts?q=01012345678"))
    assert [td.text for td in whole.select("#optouts .number")] == ["010-****-5678"]
    assert viewer.post("/optouts", data={"phone": "010-2222-3333"}).status_code == 403
    assert viewer.post("/optouts/remove", data={"phone": "010-1234-5678",
                                                "reason": "x"}).status_code == 403
    assert viewer.get("/optouts/import").status_code == 403
    exported = viewer.get("/optouts/export.csv").get_data(as_text=True)
    assert "010-****-5678" in exported and "010-1234-5678" not in exported
    assert "비밀" not in exported
    with app.app_context():
        assert optouts.search(Search()).total == 1


def test_import_a_cp949_csv_shows_the_row_report(app):
    _add(app, "010-1111-0003")
    sender = sign_in(app, "sender")
    data = csv_bytes([["이름", "휴대폰"], ["가", "010-1111-0001"], ["나", "12"],
                      ["다", "010-1111-0001"], ["라", "010-1111-0003"]], encoding="cp949")
    answer = sender.post("/optouts/import?lang=ko", data={
        "file": (io.BytesIO(data), "수신거부.csv"), "memo": "080 목록"},
        content_type="multipart/form-data")
    assert answer.status_code == 200
    shown = page(answer)
    assert [shown.select_one(f"#count-{n}").text for n in
            ("added", "already", "refused", "duplicates")] == ["1", "1", "1", "1"]
    rows = [[td.text for td in tr.select("td")] for tr in shown.select("#row-report tbody tr")]
    assert [r[0] for r in rows] == ["3", "4"] and rows[0][1] == "12"
    with app.app_context():
        assert optouts.find("010-1111-0001").memo == "080 목록"
    [event_] = audit_events(app, "optout_imported")
    assert event_.target == "수신거부.csv"


def test_import_a_workbook_and_pasted_lines(app):
    sender = sign_in(app, "sender")
    book = xlsx([["연락처"], ["010-3333-0001"], ["010-3333-0002"]])
    answer = sender.post("/optouts/import", data={"file": (io.BytesIO(book), "a.xlsx")},
                         content_type="multipart/form-data")
    assert page(answer).select_one("#count-added").text == "2"
    pasted = sender.post("/optouts/import", data={"paste": "010-3333-0003\n01033330004\n"})
    assert page(pasted).select_one("#count-added").text == "2"
    with app.app_context():
        assert optouts.search(Search()).total == 4


def test_a_bad_file_is_refused_in_korean_never_a_500(app):
    sender = sign_in(app, "sender")
    answer = sender.post("/optouts/import?lang=ko", data={
        "file": (io.BytesIO(b"\x00\x01\x02binary" * 10), "a.xlsx")},
        content_type="multipart/form-data")
    assert answer.status_code == 400 and page(answer).select_one("#import-error")
    empty = sender.post("/optouts/import?lang=ko", data={"paste": ""})
    assert empty.status_code == 400


def test_the_export_is_csv_with_bom_and_neutralised_formulas(app):
    _add(app, memo="=HYPERLINK(\"x\")")
    sender = sign_in(app, "sender")
    answer = sender.get("/optouts/export.csv?lang=ko")
    body = answer.get_data()
    assert answer.mimetype == "text/csv" and body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "전화번호,수신거부 일시,경로,등록자,메모"
    assert "010-1234-5678" in text and "'=HYPERLINK" in text
    assert audit_events(app, "optouts_exported")


def test_the_pages_need_their_csrf_token(csrf_app):
    client = sign_in(csrf_app, "sender")
    assert client.post("/optouts", data={"phone": "010-1234-5678"}).status_code == 400
    assert client.post("/optouts/import", data={"paste": "010-1234-5678"}).status_code == 400
    with csrf_app.app_context():
        assert optouts.search(Search()).total == 0
        optouts.add("010-1234-5678", via=OptOutVia.CLI, by=CLI_ACTOR)
    assert client.post("/optouts/remove", data={"phone": "010-1234-5678",
                                                "reason": "x"}).status_code == 400
    with csrf_app.app_context():
        assert optouts.search(Search()).total == 1


def test_the_opt_out_list_is_in_the_navigation(app):
    viewer = sign_in(app, "viewer")
    link = page(viewer.get("/optouts")).select_one("#nav-optouts-index")
    assert link is not None and link["href"] == "/optouts"
