"""services.contacts: the address book's rules (one contact per number, names, fields,
groups), its search and pages, imports through services.lists, exports and recipients."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smsform.extensions import db
from smsform.models import Send
from smsform.services import contacts, lists
from smsform.services.audit import CLI_ACTOR
from smsform.services.contacts import ContactError, Search
from tests.api_support import audit_events
from tests.lists_support import csv_bytes


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def test_a_number_is_one_contact_however_written(ctx):
    made = contacts.add_contact("01012345678", name=" 홍  길동 ", memo="VIP 고객",
                                fields={"등급": "VIP", "빈칸": ""}, groups=["단골"], by=CLI_ACTOR)
    assert (made.phone, made.name, made.memo, made.fields, made.groups) == (
        "010-1234-5678", "홍 길동", "VIP 고객", {"등급": "VIP"}, ("단골",))
    for again in ("010-1234-5678", "+82 10 1234 5678", "1012345678"):
        with pytest.raises(ContactError) as taken:
            contacts.add_contact(again, by=CLI_ACTOR)
        assert taken.value.code == "phone_taken"
    assert contacts.find_by_phone("+82-10-1234-5678").id == made.id


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"phone": "1234"}, "phone_invalid"),
    ({"phone": "010-1234-5678", "name": "가" * 101}, "name_too_long"),
    ({"phone": "010-1234-5678", "name": "a\x07"}, "name_control_chars"),
    ({"phone": "010-1234-5678", "memo": "m" * 1001}, "memo_too_long"),
    ({"phone": "010-1234-5678", "fields": {"name": "x"}}, "field_invalid"),
    ({"phone": "010-1234-5678", "fields": {"등급": "v" * 501}}, "field_invalid"),
    ({"phone": "010-1234-5678", "fields": {f"f{i}": "x" for i in range(31)}},
     "too_many_fields"),
    ({"phone": "010-1234-5678", "groups": [""]}, "group_name_invalid"),
])
def test_bad_input_is_refused_with_its_code(ctx, kwargs, code):
    phone = kwargs.pop("phone")
    with pytest.raises(ContactError) as refused:
        contacts.add_contact(phone, **kwargs, by=CLI_ACTOR)
    assert refused.value.code == code
    assert contacts.search(Search()).items == []


def test_change_and_delete_are_audited_and_never_touch_the_send_log(ctx, app):
    made = contacts.add_contact("010-1234-5678", name="홍길동", by=CLI_ACTOR)
    db.session.add(Send(actor="x", source="form", sender="010-0000-0000", kind="S",
                        text="t", recipients='[["010-1234-5678", "홍길동"]]',
                        recipient_count=1, forecast=1))
    db.session.commit()
    changed = contacts.update_contact(made.id, phone="010-2222-3333", name="김철수",
                                      groups=["a", "b"], by=CLI_ACTOR)
    assert (changed.phone, changed.name, changed.groups) == ("010-2222-3333", "김철수",
                                                             ("a", "b"))
    other = contacts.add_contact("010-9999-8888", by=CLI_ACTOR)
    with pytest.raises(ContactError) as taken:
        contacts.update_contact(other.id, phone="01022223333", by=CLI_ACTOR)
    assert taken.value.code == "phone_taken"
    contacts.delete_contact(made.id, by=CLI_ACTOR)
    with pytest.raises(ContactError):
        contacts.get_contact(made.id)
    assert db.session.execute(select(func.count()).select_from(Send)).scalar_one() == 1
    assert [g.count for g in contacts.list_groups()] == [0, 0]
    events = audit_events(app, "contact_created", "contact_changed", "contact_deleted",
                          "group_created")
    assert [e.action for e in events] == ["contact_created", "group_created", "group_created",
                                          "contact_changed", "contact_created",
                                          "contact_deleted"]
    assert "010" not in "".join(e.detail or "" for e in events)  # no numbers in the trail


def _many(count: int, group: str | None = None) -> None:
    rows = [("이름", "전화번호"), *((f"고객{i:03d}", f"010-5000-{i:04d}") for i in range(count))]
    contacts.import_report(lists.read_file(csv_bytes(rows), "a.csv"), group=group,
                           by=CLI_ACTOR)


def test_pages_follow_one_another_without_overlap(ctx):
    _many(7)
    seen, after = [], None
    while True:
        page = contacts.search(Search(after=after, limit=3))
        seen += [c.name for c in page.items]
        assert page.total == 7
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [f"고객{i:03d}" for i in range(7)]


@pytest.mark.parametrize(("q", "found"), [
    ("010-5000-0003", ["고객003"]), ("01050000003", ["고객003"]), ("0003", ["고객003"]),
    ("010 5000 000", [f"고객{i:03d}" for i in range(7)]), ("+82 10-5000-0005", ["고객005"]),
    ("고객00", [f"고객{i:03d}" for i in range(7)]), ("고객005", ["고객005"]), ("김", []),
])
def test_search_by_number_with_or_without_dashes_or_by_name(ctx, q, found):
    _many(7)
    assert sorted(c.name for c in contacts.search(Search(q=q)).items) == found


def test_a_group_pages_its_own_members(ctx):
    _many(5, group="VIP")
    contacts.add_contact("010-7777-7777", name="밖", by=CLI_ACTOR)
    group = contacts.find_group("VIP")
    assert group.count == 5
    first = contacts.search(Search(group_id=group.id, limit=2))
    second = contacts.search(Search(group_id=group.id, limit=2, after=first.next_after))
    assert [c.name for c in first.items + second.items] == ["고객000", "고객001", "고객002",
                                                            "고객003"]
    assert first.total == 5


def test_an_import_adds_updates_and_groups_and_is_audited_by_its_counts(ctx, app):
    contacts.add_contact("010-1234-5678", name="옛이름", by=CLI_ACTOR)
    rows = [("이름", "휴대폰", "등급"), ("홍길동", "010-1234-5678", "VIP"),
            ("김철수", "010-2222-3333", "일반"), ("", "1234", ""), ("박", "01022223333", "")]
    report = lists.read_file(csv_bytes(rows, "cp949"), "a.csv")
    counts = contacts.import_report(report, group="행사", by=CLI_ACTOR)
    assert (counts.added, counts.updated, counts.unchanged, counts.grouped, counts.refused,
            counts.duplicates) == (1, 1, 0, 2, 1, 1)
    found = contacts.find_by_phone("010-1234-5678")
    assert (found.name, found.fields, found.groups) == ("홍길동", {"등급": "VIP"}, ("행사",))
    again = contacts.import_report(report, group="행사", by=CLI_ACTOR)
    assert (again.added, again.updated, again.unchanged, again.grouped) == (0, 0, 2, 0)
    [event, _] = audit_events(app, "contacts_imported")
    assert event.target == "행사" and '"added": 1' in event.detail and "010" not in event.detail


def test_the_export_has_every_field_and_masks_for_a_viewer(ctx):
    contacts.add_contact("010-1234-5678", name="홍길동", memo="=1+1", fields={"등급": "VIP"},
                         groups=["a"], by=CLI_ACTOR)
    contacts.add_contact("010-2222-3333", name="김철수", fields={"지역": "서울"}, by=CLI_ACTOR)
    header, rows = contacts.export_rows()
    assert header == ["전화번호", "이름", "메모", "그룹", "등급", "지역"]
    assert sorted(rows) == [["010-1234-5678", "홍길동", "=1+1", "a", "VIP", ""],
                            ["010-2222-3333", "김철수", "", "", "", "서울"]]
    _, masked = contacts.export_rows(masked=True)
    assert list(masked)[0][:3] == ["010-****-5678", "홍*동", ""]  # by id


def test_groups_and_contacts_become_recipients_each_once(ctx):
    _many(3, group="A")
    extra = contacts.add_contact("010-8888-0000", name="따로", by=CLI_ACTOR)
    group = contacts.find_group("A")
    contacts.update_contact(extra.id, groups=["B"], by=CLI_ACTOR)
    chosen = contacts.recipients_of([group.id, group.id, 999], [extra.id, 12345])
    assert chosen.recipients == [("010-5000-0000", "고객000"), ("010-5000-0001", "고객001"),
                                 ("010-5000-0002", "고객002"), ("010-8888-0000", "따로")]
    assert chosen.missing_groups == [999] and chosen.missing_contacts == [12345]
    both = contacts.recipients_of([group.id, contacts.find_group("B").id], [extra.id])
    assert len(both.recipients) == 4


def test_more_recipients_than_one_call_takes_are_refused(ctx):
    _many(5, group="A")
    group = contacts.find_group("A")
    assert len(contacts.recipients_of([group.id], limit=5).recipients) == 5
    with pytest.raises(ContactError) as refused:
        contacts.recipients_of([group.id], limit=4)
    assert refused.value.code == "too_many_recipients" and refused.value.params == {"limit": 4}


def test_search_pages_import_and_recipients_on_each_engine(db_url, backend):
    """The same answers on SQLite and PostgreSQL: names in 가나다 order whatever the
    database's collation (contacts.name is ordered by code point), prefix ranges exact."""
    from tests.support import build_app

    app = build_app(backend, SQLALCHEMY_DATABASE_URI=db_url)
    names = ["하늘", "가람", "나래", "김민준", "김민서", "김", "Zoe", "apple", "김민준2"]
    rows = [("이름", "전화번호"), *((name, f"010-8000-{i:04d}") for i, name in
                                  enumerate(names))]
    with app.app_context():
        counts = contacts.import_report(lists.read_file(csv_bytes(rows), "a.csv"), group="g",
                                        by=CLI_ACTOR)
        assert counts.added == len(names)
        listed, after = [], None
        while True:
            page = contacts.search(Search(after=after, limit=2))
            listed += [c.name for c in page.items]
            if page.next_after is None:
                break
            after = page.next_after
        assert listed == sorted(names)  # code point order: Latin, then 가나다
        assert [c.name for c in contacts.search(Search(q="김민")).items] == [
            "김민서", "김민준", "김민준2"]
        assert [c.name for c in contacts.search(Search(q="010-8000-000")).items] == names
        # by number: in the numbers' order
        assert [c.name for c in contacts.search(Search(q="0003")).items] == ["김민준"]
        group = contacts.find_group("g")
        chosen = contacts.recipients_of([group.id])
        assert [name for _, name in chosen.recipients] == names
        db.session.remove()
