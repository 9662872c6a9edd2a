"""``flask --app app optout add|remove|import|list``: the same rules, reader and audit as the
pages."""

from __future__ import annotations

import json

from smsform.services import optouts
from tests.api_support import audit_events
from tests.lists_support import csv_bytes


def test_add_list_and_remove(app, runner):
    added = runner.invoke(args=["optout", "add", "01012345678", "--memo", "080"])
    assert added.exit_code == 0, added.output
    assert "010-1234-5678 added" in added.output
    again = runner.invoke(args=["optout", "add", "010-1234-5678"])
    assert again.exit_code == 0 and "already" in again.output
    listed = runner.invoke(args=["optout", "list"])
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].split("\t")[::2] == ["010-1234-5678", "cli", "080"]
    found = runner.invoke(args=["optout", "list", "-q", "5678"])
    assert "010-1234-5678" in found.stdout
    no_reason = runner.invoke(args=["optout", "remove", "010-1234-5678"])
    assert no_reason.exit_code == 2  # --reason is required
    removed = runner.invoke(args=["optout", "remove", "010-1234-5678", "--reason", "재동의"])
    assert removed.exit_code == 0, removed.output
    with app.app_context():
        assert optouts.find("010-1234-5678") is None
    events = audit_events(app, "optout_added", "optout_removed")
    assert [(e.action, e.actor) for e in events] == [("optout_added", "cli"),
                                                     ("optout_removed", "cli")]


def test_refusals_exit_1_in_korean_and_english(app, runner):
    bad = runner.invoke(args=["optout", "add", "12"])
    assert bad.exit_code == 1 and "전화번호" in bad.output and "Korean phone" in bad.output
    missing = runner.invoke(args=["optout", "remove", "010-9999-0000", "--reason", "x"])
    assert missing.exit_code == 1 and "수신거부 목록에 없습니다" in missing.output


def test_import_a_cp949_file_with_its_row_report(app, runner, tmp_path):
    path = tmp_path / "수신거부.csv"
    path.write_bytes(csv_bytes([("휴대폰",), ("010-1111-0001",), ("12",), ("01011110001",),
                                ("010-1111-0002",)], "cp949"))
    result = runner.invoke(args=["optout", "import", str(path), "--memo", "080"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and "1 left out" in result.output
    assert "1 duplicates" in result.output and "row 3\t12\t" in result.output
    as_json = runner.invoke(args=["optout", "import", str(path), "--json"])
    answer = json.loads(as_json.output)
    assert (answer["added"], answer["already"], answer["refused"]) == (0, 2, 1)
    with app.app_context():
        assert optouts.find("010-1111-0002").via == "cli"
    assert len(audit_events(app, "optout_imported")) == 2


def test_a_bad_file_exits_1(app, runner, tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    result = runner.invoke(args=["optout", "import", str(path)])
    assert result.exit_code == 1 and result.output.strip()


def test_list_csv_has_a_bom_and_neutralised_formulas(app, runner, tmp_path):
    runner.invoke(args=["optout", "add", "010-1234-5678", "--memo", "=SUM(A1)"])
    out = tmp_path / "optouts.csv"
    result = runner.invoke(args=["optout", "list", "--csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "전화번호,수신거부 일시,경로,등록자,메모"
    assert lines[1].startswith("010-1234-5678,") and "명령줄" in lines[1]
    assert lines[1].endswith("'=SUM(A1)")
    assert audit_events(app, "optouts_exported")
