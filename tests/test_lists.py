"""services.lists: every encoding, delimiter and workbook a list comes in, paste, the row
report, duplicates, the limits and every file that is not a list."""

from __future__ import annotations

import io
import zipfile

import pytest

from smsform.services import lists
from smsform.services.lists import Choice, Limits, ListRefused
from tests.lists_support import XLS_FIXTURE, csv_bytes, xlsx

ROWS = [("이름", "휴대폰", "등급"),
        ("홍길동", "010-1234-5678", "VIP"),
        ("김철수", "01098765432", "일반"),
        ("이영희", "없음", "일반"),
        ("박민수", "010 1234 5678", "VIP")]


def _phones(report: lists.ListReport) -> list[str]:
    return [row.phone for row in report.rows]


def _assert_rows(report: lists.ListReport) -> None:
    """What ROWS holds, however it came."""
    assert report.phone_column == "휴대폰" and report.name_column == "이름"
    assert report.fields == ["등급"]
    assert _phones(report) == ["010-1234-5678", "010-9876-5432"]
    assert [row.name for row in report.rows] == ["홍길동", "김철수"]
    assert [report.fields_of(row) for row in report.rows] == [{"등급": "VIP"}, {"등급": "일반"}]
    assert [(p.row, p.value, p.code) for p in report.refused] == [(4, "없음", "invalid_phone")]
    assert [(p.row, p.code, p.first_row) for p in report.duplicates] == [(5, "duplicate", 2)]
    assert report.total == 4


@pytest.mark.parametrize(("encoding", "read_as"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp949", "euc-kr"), ("euc-kr", "euc-kr"),
    ("utf-16", "utf-16")])
def test_each_encoding_reads_the_same(encoding, read_as):
    report = lists.read_file(csv_bytes(ROWS, encoding), "list.csv")
    _assert_rows(report)
    assert report.encoding == read_as and report.kind == "csv"


def test_cp949_only_hangul_is_read_as_cp949_not_utf8():
    """A CP949 file whose Hangul is outside EUC-KR's 2,350 (똠, 햏) is still CP949."""
    data = csv_bytes([("이름", "전화번호", "메모"), ("홍길동", "010-1111-2222", "똠햏")], "cp949")
    with pytest.raises(UnicodeDecodeError):
        data.decode("euc-kr")
    report = lists.read_file(data, "list.csv")
    assert [report.fields_of(row)["메모"] for row in report.rows] == ["똠햏"]
    assert report.encoding == "euc-kr"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_each_delimiter_is_sniffed(delimiter):
    report = lists.read_file(csv_bytes(ROWS, "cp949", delimiter), "list.txt")
    _assert_rows(report)
    assert report.delimiter == delimiter


def test_a_quoted_cell_with_the_delimiter_stays_one_cell():
    rows = [("이름", "전화번호", "주소"), ("홍길동", "010-1234-5678", "서울, 종로구"),
            ("김철수", "010-2222-3333", "부산, 해운대구")]
    report = lists.read_file(csv_bytes(rows), "list.csv")
    assert report.delimiter == ","
    assert [report.fields_of(r)["주소"] for r in report.rows] == ["서울, 종로구", "부산, 해운대구"]


def test_a_tsv_name_reads_tabs():
    report = lists.read_file(csv_bytes(ROWS, "utf-8", "\t"), "list.tsv")
    assert report.kind == "tsv" and report.delimiter == "\t"
    _assert_rows(report)


def test_xlsx_is_read_with_numbers_as_excel_keeps_them():
    rows = [*ROWS[:2], ("김철수", 1098765432, "일반"), *ROWS[3:]]  # a number cell, 0 lost
    report = lists.read_file(xlsx(rows), "list.xlsx")
    assert report.kind == "xlsx"
    _assert_rows(report)


def test_xls_is_read():
    report = lists.read_file(XLS_FIXTURE.read_bytes(), "contacts.xls")
    assert report.kind == "xls"
    assert report.columns == ["이름", "휴대폰", "메모"]
    assert _phones(report) == ["010-1234-5678", "010-1234-5679"]
    assert [r.name for r in report.rows] == ["홍길동", "김철수"]
    assert [(p.row, p.value, p.code) for p in report.refused] == [(4, "없음", "invalid_phone")]
    assert [(p.row, p.first_row) for p in report.duplicates] == [(5, 2)]


def test_a_workbook_is_told_by_its_bytes_not_its_name():
    report = lists.read_file(xlsx(ROWS), "saved-as.csv")
    assert report.kind == "xlsx"
    _assert_rows(report)


@pytest.mark.parametrize(("header", "phone", "name"), [
    (("고객명", "핸드폰번호"), "핸드폰번호", "고객명"),
    (("성명", "연락처"), "연락처", "성명"),
    (("Name", "Mobile"), "Mobile", "Name"),
    (("name", "phone number"), "phone number", "name"),
    (("수신번호", "메모"), "수신번호", None),
    (("고객 이름", "휴대폰 번호"), "휴대폰 번호", "고객 이름"),
])
def test_the_columns_are_guessed_from_the_header(header, phone, name):
    report = lists.read_file(csv_bytes([header, ("홍길동", "010-1234-5678")[::1]
                                        if header[0] != "수신번호"
                                        else ("010-1234-5678", "메모")]), "a.csv")
    assert (report.phone_column, report.name_column) == (phone, name)
    assert _phones(report) == ["010-1234-5678"]


def test_without_a_header_the_number_column_is_found_by_its_values():
    rows = [("홍길동", "010-1234-5678", "서울"), ("김철수", "010-2222-3333", "부산")]
    report = lists.read_file(csv_bytes(rows), "a.csv")
    assert not report.header
    assert report.columns == ["A", "B", "C"] and report.phone_column == "B"
    assert report.name_column is None and report.fields == ["A", "C"]
    assert [r.row for r in report.rows] == [1, 2]


def test_two_columns_without_a_header_are_number_and_name():
    report = lists.read_file(csv_bytes([("010-1234-5678", "홍길동"), ("010-2222-3333", "김")]),
                             "a.csv")
    assert report.name_column == "B" and [r.name for r in report.rows] == ["홍길동", "김"]


def test_the_columns_can_be_chosen():
    rows = [("담당", "회사번호", "휴대폰"), ("홍길동", "02-123-4567", "010-1234-5678")]
    report = lists.read_file(csv_bytes(rows), "a.csv", choice=Choice("회사번호", "담당"))
    assert _phones(report) == ["02-123-4567"] and report.rows[0].name == "홍길동"
    assert report.fields == ["휴대폰"]
    by_letter = lists.read_file(csv_bytes(rows), "a.csv", choice=Choice("C", ""))
    assert _phones(by_letter) == ["010-1234-5678"] and by_letter.name_column is None
    with pytest.raises(ListRefused) as refused:
        lists.read_file(csv_bytes(rows), "a.csv", choice=Choice("팩스"))
    assert refused.value.code == "unknown_column"


def test_repeated_and_blank_headers_get_names_of_their_own():
    rows = [("전화번호", "메모", "메모", ""), ("010-1234-5678", "a", "b", "c")]
    report = lists.read_file(csv_bytes(rows), "a.csv")
    assert report.fields == ["메모", "메모_2", "D"]


def test_every_refused_row_says_its_row_value_and_why():
    rows = [("이름", "전화번호"), ("a", ""), ("b", "1234"), ("c", "010-1234-567"),
            ("d" * 101, "010-1111-2222"), ("e", "010-3333-4444"), ("", ""),
            ("f", "+82 10-5555-6666")]
    report = lists.read_file(csv_bytes(rows), "a.csv")
    assert [(p.row, p.value, p.code) for p in report.refused] == [
        (2, "", "no_phone"), (3, "1234", "invalid_phone"),
        (4, "010-1234-567", "invalid_phone"), (5, "d" * 101, "name_too_long")]
    assert _phones(report) == ["010-3333-4444", "010-5555-6666"]
    assert [r.row for r in report.rows] == [6, 8]  # the empty row 7 is skipped, not counted
    assert report.total == 6
    summary = lists.summary(report)
    assert (summary.total, summary.usable, summary.refused, summary.duplicates) == (6, 2, 4, 0)
    assert summary.by_code == {"no_phone": 1, "invalid_phone": 2, "name_too_long": 1}


def test_duplicates_keep_the_first_row_and_name_it():
    rows = [("전화번호", "이름"), ("010-1234-5678", "첫째"), ("01012345678", "둘째"),
            ("+82-10-1234-5678", "셋째"), ("010-9999-0000", "넷째")]
    report = lists.read_file(csv_bytes(rows), "a.csv")
    assert [(r.phone, r.name) for r in report.rows] == [("010-1234-5678", "첫째"),
                                                      ("010-9999-0000", "넷째")]
    assert [(p.row, p.value, p.first_row) for p in report.duplicates] == [
        (3, "01012345678", 2), (4, "+82-10-1234-5678", 2)]
    assert [p.row for p in report.problems] == [3, 4]


def test_paste_of_numbers_and_of_number_tab_name_in_either_order():
    report = lists.read_paste("010-1234-5678\n01022223333\n\n1234\n010-1234-5678")
    assert _phones(report) == ["010-1234-5678", "010-2222-3333"]
    assert [(p.row, p.code) for p in report.problems] == [(4, "invalid_phone"), (5, "duplicate")]
    named = lists.read_paste("010-1234-5678\t홍길동\n김철수\t010-2222-3333\n")
    assert [(r.phone, r.name) for r in named.rows] == [("010-1234-5678", "홍길동"),
                                                     ("010-2222-3333", "김철수")]


def test_paste_as_the_form_reads_it():
    report = lists.read_paste("010-1234-5678|홍길동\n김철수 010-2222-3333\n010-3333-4444 이영희")
    assert [(r.phone, r.name) for r in report.rows] == [
        ("010-1234-5678", "홍길동"), ("010-2222-3333", "김철수"), ("010-3333-4444", "이영희")]


def test_paste_of_an_excel_selection_with_its_header():
    report = lists.read_paste("이름\t휴대폰\t등급\n홍길동\t010-1234-5678\tVIP\n")
    assert report.header and report.fields == ["등급"]
    assert [(r.phone, r.name, r.values) for r in report.rows] == [
        ("010-1234-5678", "홍길동", ("VIP",))]


def test_the_row_limit_is_a_setting():
    rows = [("전화번호",), *((f"010-1000-{i:04d}",) for i in range(5))]
    assert len(lists.read_file(csv_bytes(rows), "a.csv", Limits(max_rows=5)).rows) == 5
    with pytest.raises(ListRefused) as refused:
        lists.read_file(csv_bytes(rows), "a.csv", Limits(max_rows=4))
    assert refused.value.code == "too_many_rows" and refused.value.params == {"limit": 4}
    with pytest.raises(ListRefused) as pasted:
        lists.read_paste("\n".join(r[0] for r in rows[1:]), Limits(max_rows=4))
    assert pasted.value.code == "too_many_rows"


def test_the_byte_limit_is_a_setting():
    data = csv_bytes([("전화번호",), ("010-1234-5678",)])
    with pytest.raises(ListRefused) as refused:
        lists.read_file(data, "a.csv", Limits(max_bytes=len(data) - 1))
    assert refused.value.code == "too_large"
    assert lists.read_file(data, "a.csv", Limits(max_bytes=len(data))).rows


def test_the_limits_come_from_the_settings():
    import config

    settings = config.from_env({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                                "SMSFORM_LIST_MAX_ROWS": "10",
                                "SMSFORM_LIST_MAX_BYTES": "2048"}, "/nonexistent")
    assert lists.limits_of(settings) == Limits(10, 2048)


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(300):  # 300 MB of zeros, a few hundred KB packed
                part.write(chunk)
    return out.getvalue()


def _bad_files() -> list[tuple[str, bytes, str, str]]:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    return [
        ("empty", b"", "a.csv", "empty"),
        ("blank", b" \r\n\r\n", "a.csv", "empty"),
        ("bom only", b"\xef\xbb\xbf", "a.csv", "empty"),
        ("empty rows", b",,\r\n,,\r\n", "a.csv", "empty"),
        ("a header alone", csv_bytes([("이름", "전화번호")]), "a.csv", "empty"),
        ("binary renamed .csv", png, "photo.csv", "not_text"),
        ("random bytes", bytes((i * 7919) % 256 for i in range(5000)), "a.csv", "not_text"),
        ("text renamed .xlsx", csv_bytes(ROWS), "list.xlsx", "not_workbook"),
        ("a zip that is no workbook", xlsx(ROWS, workbook=False), "list.xlsx", "not_workbook"),
        ("a broken zip", b"PK\x03\x04" + b"\0" * 100, "list.xlsx", "not_workbook"),
        ("broken sheet xml", xlsx([], sheet="<worksheet><sheetData><row"), "a.xlsx",
         "not_workbook"),
        ("a broken .xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a.xls",
         "not_workbook"),
        ("zip bomb", _zip_bomb(), "list.xlsx", "zip_bomb"),
        ("no phone column", csv_bytes([("이름", "메모"), ("홍길동", "VIP")]), "a.csv",
         "no_phone_column"),
        ("no phone column in a workbook", xlsx([("이름",), ("홍길동",)]), "a.xlsx",
         "no_phone_column"),
        ("an empty workbook", xlsx([]), "a.xlsx", "empty"),
    ]


@pytest.mark.parametrize(("data", "filename", "code"),
                         [case[1:] for case in _bad_files()], ids=[c[0] for c in _bad_files()])
def test_every_bad_file_is_refused_with_its_code(data, filename, code):
    with pytest.raises(ListRefused) as refused:
        lists.read_file(data, filename)
    assert refused.value.code == code


def test_a_bad_file_is_worded_in_korean(app):
    from smsform import messages

    with app.test_request_context("/?lang=ko"), pytest.raises(ListRefused) as refused:
        lists.read_file(csv_bytes([("이름",), ("홍길동",)]), "a.csv")
    with app.test_request_context("/?lang=ko"):
        text = messages.refusal_text(refused.value)
    assert "전화번호" in text and "이름" in text and "column" not in text


def test_row_problems_are_worded(app):
    from smsform import messages

    report = lists.read_file(csv_bytes([("전화번호",), ("12",), ("010-1234-5678",),
                                        ("010-1234-5678",)]), "a.csv")
    with app.test_request_context("/?lang=ko"):
        words = [messages.row_problem_text(p) for p in report.problems]
    assert words[0] != "invalid_phone" and "3" in words[1] and words[1] != "duplicate"


def test_a_missing_name_is_refused_when_the_text_needs_one():
    rows = [("이름", "전화번호"), ("홍길동", "010-1234-5678"), ("", "010-2222-3333")]
    assert len(lists.read_file(csv_bytes(rows), "a.csv").rows) == 2
    report = lists.read_file(csv_bytes(rows), "a.csv", choice=Choice(need_name=True))
    assert _phones(report) == ["010-1234-5678"]
    assert [(p.row, p.value, p.code) for p in report.refused] == [(3, "010-2222-3333", "no_name")]
    pasted = lists.read_paste("010-1234-5678\t홍길동\n010-2222-3333", choice=Choice(need_name=True))
    assert [(p.row, p.code) for p in pasted.refused] == [(2, "no_name")]


def test_a_name_the_gateway_cannot_carry_is_refused():
    rows = [("이름", "전화번호"), ("홍길동😀", "010-1234-5678"), ("됬다", "010-2222-3333"),
            ("김\x07", "010-3333-4444"), ("이영희", "010-4444-5555")]
    report = lists.read_file(csv_bytes(rows), "a.csv")
    assert [(p.row, p.code) for p in report.refused] == [
        (2, "name_unsupported_chars"), (3, "name_unsupported_chars"), (4, "name_control_chars")]
    assert _phones(report) == ["010-4444-5555"]
