"""The opt-out list (services.optouts): one row per number however it is written, add and
remove with its history and a reason, imports from a read list, search with or without
dashes, pages, masking, and the one query a send asks."""

from __future__ import annotations

import pytest

from smsform.extensions import db
from smsform.services import lists, optouts
from smsform.services.audit import CLI_ACTOR, AuditActor
from smsform.services.optouts import OptOutError, Search
from smsform.states import OptOutVia
from tests.api_support import audit_events
from tests.lists_support import csv_bytes

ALICE = AuditActor("alice", None, "127.0.0.1")


def test_a_number_is_kept_once_however_it_is_written(app):
    with app.app_context():
        first = optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE, memo="전화 요청")
        again = optouts.add("01012345678", via=OptOutVia.API, by=CLI_ACTOR)
        assert first.new and not again.new
        assert again.entry.via == "hand" and again.entry.by == "alice"  # the first record
        assert again.entry.memo == "전화 요청"
        assert optouts.search(Search()).total == 1
    assert len(audit_events(app, "optout_added")) == 1  # a second add changes nothing


@pytest.mark.parametrize("raw", ["12", "", "010-1234-567a"])
def test_what_is_not_a_number_is_refused(app, raw):
    with app.app_context(), pytest.raises(OptOutError) as refused:
        optouts.add(raw, via=OptOutVia.HAND, by=ALICE)
    assert refused.value.code == "invalid_phone"


def test_a_memo_has_a_limit_and_no_control_characters(app):
    with app.app_context():
        with pytest.raises(OptOutError, match="memo_too_long"):
            optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE, memo="x" * 201)
        with pytest.raises(OptOutError, match="control_chars"):
            optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE, memo="a\x07b")


def test_removing_takes_a_reason_and_keeps_the_history(app):
    with app.app_context():
        optouts.add("010-1234-5678", via=OptOutVia.CLI, by=CLI_ACTOR, memo="080")
        with pytest.raises(OptOutError, match="reason_required"):
            optouts.remove("01012345678", reason="  ", by=ALICE)
        with pytest.raises(OptOutError, match="not_found"):
            optouts.remove("010-9999-0000", reason="x", by=ALICE)
        removed = optouts.remove("01012345678", reason="다시 동의함", by=ALICE)
        assert (removed.phone, removed.via, removed.by, removed.removed_by, removed.reason) == (
            "010-1234-5678", "cli", "cli", "alice", "다시 동의함")
        assert optouts.find("010-1234-5678") is None
        history = optouts.removals(Search())
        assert [(r.phone, r.memo, r.reason) for r in history.items] == [
            ("010-1234-5678", "080", "다시 동의함")]
        assert optouts.removals(Search(), masked=True).items[0].reason == ""
    [event_] = audit_events(app, "optout_removed")
    assert event_.actor == "alice" and event_.target == "010-1234-5678"
    assert "다시 동의함" in event_.detail


def test_search_with_or_without_dashes_or_a_part_and_pages(app):
    with app.app_context():
        for i in range(7):
            optouts.add(f"010-5555-{i:04d}", via=OptOutVia.HAND, by=ALICE)
        for q in ("010-5555-0003", "01055550003", "010 5555 0003"):
            found = optouts.search(optouts.parse_search(q, masked=False))
            assert [e.phone for e in found.items] == ["010-5555-0003"]
        part = optouts.search(optouts.parse_search("5555-000", masked=False))
        assert part.total == 7
        first = optouts.search(Search(), 1, per_page=3)
        last = optouts.search(Search(), 3, per_page=3)
        assert (first.pages, len(first.items), len(last.items)) == (3, 3, 1)
        assert first.items[0].phone == "010-5555-0006"  # newest first
        with pytest.raises(OptOutError, match="query_not_number"):
            optouts.parse_search("홍길동", masked=False)
        with pytest.raises(OptOutError, match="bad_page"):
            optouts.search(Search(), 0)


def test_a_masked_reader_sees_no_digits_or_memo_and_looks_up_whole_numbers(app):
    with app.app_context():
        optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE, memo="비밀")
        entry = optouts.search(Search(), masked=True).items[0]
        assert (entry.phone, entry.memo) == ("010-****-5678", None)
        with pytest.raises(OptOutError, match="whole_number_only"):
            optouts.parse_search("1234", masked=True)
        whole = optouts.parse_search("01012345678", masked=True)
        assert optouts.search(whole, masked=True).total == 1


def test_an_import_adds_new_numbers_and_counts_the_rest(app):
    data = csv_bytes([["이름", "휴대폰"], ["가", "010-1111-0001"], ["나", "01011110002"],
                      ["다", "010-1111-0001"], ["라", "12"], ["마", "010-1111-0003"]],
                     encoding="cp949")
    with app.app_context():
        optouts.add("010-1111-0003", via=OptOutVia.HAND, by=ALICE)
        report = lists.read_file(data, "list.csv", choice=lists.Choice(None, ""))
        counts = optouts.import_report(report, via=OptOutVia.FILE, by=ALICE, memo="행사",
                                       source="list.csv")
        assert counts.as_detail() == {"added": 2, "already": 1, "refused": 1,
                                      "duplicates": 1}
        assert counts.added_numbers == ["01011110001", "01011110002"]
        entry = optouts.find("010-1111-0002")
        assert (entry.via, entry.memo) == ("file", "행사")
    [event_] = audit_events(app, "optout_imported")
    assert event_.target == "list.csv" and '"added": 2' in event_.detail


def test_a_send_asks_once_which_of_its_numbers_opted_out(app):
    with app.app_context():
        optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE)
        optouts.add("010-2222-3333", via=OptOutVia.HAND, by=ALICE)
        statements: list[str] = []
        with db.engine.connect() as connection:  # the test database: one shared connection
            driver = connection.connection.driver_connection
        driver.set_trace_callback(statements.append)  # what SQLite itself runs
        try:
            found = optouts.opted_out(["010-1234-5678", "01022223333", "010-4444-5555",
                                       "nonsense"])
        finally:
            driver.set_trace_callback(None)
        assert found == frozenset({"010-1234-5678", "01022223333"})  # as given
        selects = [sql for sql in statements if sql.startswith("SELECT")]
        assert len(selects) == 1 and "FROM optouts WHERE phone IN" in selects[0]
        assert optouts.opted_out([]) == frozenset()


def test_the_export_is_every_number_newest_first(app):
    with app.app_context():
        optouts.add("010-1000-0001", via=OptOutVia.HAND, by=ALICE, memo="=cmd")
        optouts.add("010-1000-0002", via=OptOutVia.API, by=ALICE)
        entries = list(optouts.export_entries(masked=False))
        assert [e.phone for e in entries] == ["010-1000-0002", "010-1000-0001"]
        assert [e.phone for e in optouts.export_entries(masked=True)][0] == "010-****-0002"


def test_the_send_paths_look_up_reads_every_form_of_a_number_and_fails_as_core_does(app):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with app.app_context():
        optouts.add("010-1234-5678", via=OptOutVia.HAND, by=ALICE)
        many = [f"010-9{i:03d}-{i:04d}" for i in range(950)] + ["+82 10-1234-5678"]
        assert optouts.opted_out(many) == frozenset({"+82 10-1234-5678"})  # past one chunk
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE optouts"))
        with pytest.raises(OperationalError):
            optouts.opted_out(["010-1234-5678"])
