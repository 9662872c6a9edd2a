"""``flask --app app contacts import|export``: the same reader, rules and audit as the pages."""

from __future__ import annotations

import json

from smsform.services import contacts
from smsform.services.audit import CLI_ACTOR
from tests.api_support import audit_events
from tests.lists_support import XLS_FIXTURE, csv_bytes


def test_import_a_cp949_file_into_a_group(app, runner, tmp_path):
    path = tmp_path / "고객.csv"
    path.write_bytes(csv_bytes([("이름", "휴대폰", "등급"), ("홍길동", "010-1234-5678", "VIP"),
                                ("김철수", "12", ""), ("박", "01012345678", "")], "cp949"))
    result = runner.invoke(args=["contacts", "import", str(path), "--group", "행사"])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "1 left out" in result.output
    assert "1 put in 행사" in result.output
    assert "row 3\t12\t게이트웨이가 받지 않는 번호" in result.output
    with app.app_context():
        found = contacts.find_by_phone("01012345678")
        assert (found.name, found.fields, found.groups) == ("홍길동", {"등급": "VIP"}, ("행사",))
    [event] = audit_events(app, "contacts_imported")
    assert event.actor == "cli" and '"added": 1' in event.detail


def test_import_json_and_a_workbook(app, runner):
    result = runner.invoke(args=["contacts", "import", str(XLS_FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["added"], answer["refused"], answer["duplicates"], answer["kind"]) == (
        2, 1, 1, "xls")
    assert answer["problems"][1] == {"row": 5, "value": "010-1234-5678", "code": "duplicate",
                                     "first_row": 2}


def test_a_bad_file_exits_1_in_korean_and_english(app, runner, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 1
    assert "목록으로 읽을 수 없습니다" in result.output and "cannot be read" in result.output
    assert audit_events(app, "contacts_imported") == []


def test_export_to_stdout_and_to_a_file(app, runner, tmp_path):
    with app.app_context():
        contacts.add_contact("010-1234-5678", name="=cmd", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact("010-2222-3333", name="김철수", by=CLI_ACTOR)
    result = runner.invoke(args=["contacts", "export"])
    assert result.exit_code == 0, result.output
    lines = result.output.lstrip("\ufeff").splitlines()
    assert result.output.startswith("\ufeff")
    assert lines == ["전화번호,이름,메모,그룹", "010-1234-5678,'=cmd,,VIP",
                     "010-2222-3333,김철수,,"]
    out = tmp_path / "vip.csv"
    result = runner.invoke(args=["contacts", "export", "--group", "VIP", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.read_text("utf-8-sig").splitlines()[1:] == ["010-1234-5678,'=cmd,,VIP"]
    missing = runner.invoke(args=["contacts", "export", "--group", "없음"])
    assert missing.exit_code == 1 and "없음" in missing.output
    assert len(audit_events(app, "contacts_exported")) == 2


def test_send_to_a_group_from_the_shell(app, runner, backend):
    from simulator import DEMO_SENDERS
    from tests.api_support import sends
    from tests.support import make_user

    make_user(app, "alice", "a-long-enough-password", "sender")
    with app.app_context():
        contacts.add_contact("010-5000-0001", name="홍길동", groups=["VIP"], by=CLI_ACTOR)
        contacts.add_contact("010-5000-0002", name="김철수", groups=["VIP"], by=CLI_ACTOR)
    result = runner.invoke(args=["send", "--user", "alice", "--from", DEMO_SENDERS[0],
                                 "--group", "VIP", "--text", "{name}님 안내"])
    assert result.exit_code == 0, result.output
    [row] = sends(app)
    assert row.recipient_count == 2 and row.source == "cli" and "김철수" in row.recipients
    missing = runner.invoke(args=["send", "--user", "alice", "--from", DEMO_SENDERS[0],
                                  "--group", "없는그룹", "--text", "안내"])
    assert missing.exit_code == 2 and "없는그룹" in missing.output
    assert len(sends(app)) == 1
