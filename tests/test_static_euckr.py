"""The browser's EUC-KR table, message rules and gettext match cafe24/ and the server.

node runs the ES modules of static/js (its package.json marks them as modules) on the
same inputs as the Python rules; the rules object they get is the one the page gets,
``form_config.rules()``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from cafe24 import message
from cafe24.phone import (
    Recipient,
    add_numbers,
    normalize_phone,
    parse_destination,
    parse_recipients,
)
from cafe24.text import (
    MESSAGE_CONTROLS,
    code_points,
    control_chars,
    is_supported,
    normalize_text,
)
from smsform.views.form_config import JS_KEYWORDS, js_msgids, rules

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "static" / "js"
EUCKR_TABLE = JS / "euckr_table.js"
CASES = json.loads((ROOT / "tests" / "cases" / "message_cases.json").read_text(encoding="utf-8"))
DESTINATION_CASES = json.loads((ROOT / "tests" / "cases" / "destination_cases.json")
                               .read_text(encoding="utf-8"))
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def _load_generator():
    """Import scripts/build_euckr_js.py (scripts/ is not a package)."""
    path = ROOT / "scripts" / "build_euckr_js.py"
    spec = importlib.util.spec_from_file_location("build_euckr_js", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    """The build_euckr_js module."""
    return _load_generator()


def _array(name: str) -> list[tuple[int, int]]:
    """The [start, end] pairs of one exported array of the committed euckr_table.js."""
    text = EUCKR_TABLE.read_text(encoding="utf-8")
    body = re.search(rf"export const {name} = \[(.*?)\n\];", text, re.S)
    assert body, f"{name} not found in euckr_table.js"
    return [(int(a, 0), int(b, 0)) for a, b in re.findall(r"\[(\w+), ?(\w+)\]", body[1])]


@pytest.fixture(scope="module")
def ranges() -> list[tuple[int, int]]:
    """The [start, end] ranges as written in the committed euckr_table.js."""
    return _array("RANGES")


def _in_ranges(ranges: list[tuple[int, int]], cp: int) -> bool:
    return cp < 0x80 or any(start <= cp <= end for start, end in ranges)


# --- the generated table ------------------------------------------------------------


def test_committed_table_is_generated(generator):
    """Regenerating the table gives the committed file byte for byte (run the script if not)."""
    assert EUCKR_TABLE.read_text(encoding="utf-8") == generator.build(), (
        "static/js/euckr_table.js is stale: run `python scripts/build_euckr_js.py`"
    )


def test_only_the_table_is_generated():
    """The logic is hand-written source: euckr.js imports the table and is not generated."""
    logic = (JS / "euckr.js").read_text(encoding="utf-8")
    assert "GENERATED" not in logic
    assert 'from "./euckr_table.js"' in logic
    table = EUCKR_TABLE.read_text(encoding="utf-8")
    assert "function" not in table and "=>" not in table  # data only


def test_ranges_are_sorted_and_disjoint(ranges):
    assert ranges, "no ranges"
    assert all(start <= end for start, end in ranges)
    assert all(a[1] + 1 < b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert ranges[0][0] >= 0x80
    # KS X 1001: 2,350 Hangul syllables, 4,888 Hanja and the symbols, jamo and letters
    assert 8000 < sum(end - start + 1 for start, end in ranges) < 8500


@pytest.mark.parametrize(
    "ch",
    ["a", "~", "가", "힣", "됐", "똠", "됬", "쀍", "ㄱ", "ㅏ", "·", "€", "一", "ア", "я",
     "é", "ñ", "©", "😀", "\u00a0", "\u2014", "\u2026", "\u3000", "\uff01", "\ufffd", "\x80"],
)
def test_membership_matches_server(ranges, ch):
    assert _in_ranges(ranges, ord(ch)) == is_supported(ch)


def test_membership_matches_server_across_the_bmp(ranges):
    for cp in range(0x80, 0x10000, 37):
        if 0xD800 <= cp < 0xE000:
            continue
        assert _in_ranges(ranges, cp) == is_supported(chr(cp)), hex(cp)


# --- node runs the modules ----------------------------------------------------------------

_PRELUDE = """
import { readFileSync } from "node:fs";
import * as E from "./static/js/euckr.js";
import { createRules } from "./static/js/rules.js";
import * as I from "./static/js/i18n.js";
const input = JSON.parse(readFileSync(0, "utf8"));
const R = createRules(input.rules);
"""


def _node(script: str, payload: dict) -> object:
    """Run an ES module script (after _PRELUDE) that reads ``payload`` and prints JSON."""
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", _PRELUDE + script],
        input=json.dumps({"rules": rules(), **payload}), capture_output=True, text=True,
        cwd=ROOT, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@needs_node
def test_js_meter_matches_shared_cases():
    script = """
    console.log(JSON.stringify(input.texts.map((t) => {
      const bytes = E.length(t);
      return {bytes, kind: R.messageKind(bytes, false), unsupported: E.unsupported(t)};
    })));
    """
    got = _node(script, {"texts": [c["text"] for c in CASES]})
    expected = [{"bytes": c["bytes"], "kind": c["kind"], "unsupported": c["unsupported"]}
                for c in CASES]
    assert got == expected


@needs_node
def test_js_kind_takes_the_sms_limit_from_the_rules():
    """The limit is the rules object's, not one written in rules.js."""
    script = """
    const small = createRules({...input.rules, smsLimit: 5});
    console.log(JSON.stringify([R.messageKind(6, false), small.messageKind(6, false),
                                small.messageKind(5, false), small.messageKind(5, true)]));
    """
    assert _node(script, {}) == ["S", "L", "S", "L"]


PHONES = [
    "010-1234-5678", "01012345678", "010 1234 5678", "010.1234.5678", "(010)1234-5678",
    "+82 10-1234-5678", "+82 (0)10-1234-5678", "+821012345678", "821012345678",
    "02-123-4567", "0212345678", "021234567", "031-123-4567", "0311234567", "064-1234-5678",
    "011-123-4567", "016-1234-5678", "070-1234-5678", "0505-1234-5678", "0509-1234-5678",
    "1588-1234", "15881234", "1688-1234", "1234-5678", "010-12", "010-1234-567",
    "010-1234-56789",
    "080-123-4567", "0801234567", "080-1234-5678", "", " ", "hello",
    "０１０１２３４５６７８", "+82", "82", "0", "02-12-3456",
    # pasted from a CSV or a chat: BOM, zero-width characters, information separators
    "\ufeff010-1234-5678", "010\u200b1234\u200c5678", "\u200d01012345678\u2060",
    "010\x1c1234\x1d5678", "010\x1e1234\x1f5678", "010\x851234\x855678",
    "\ufeff", "\x1c", "010-1234-5678\u200e", "010\u00a01234\u30005678",
]


@needs_node
def test_js_normalize_phone_matches_server():
    script = "console.log(JSON.stringify(input.phones.map((p) => R.normalizePhone(p))));"
    assert _node(script, {"phones": PHONES}) == [normalize_phone(p) for p in PHONES]


RECIPIENT_TEXTS = [
    "010-1234-5678, 010-9876-5432",
    "010-1234-5678,01012345678\n010 9876 5432;02 123 4567\t010-12",
    "010 1234 5678 010 2222 3333 garbage 010-3333-4444 more junk",
    " , ;\n",
    "+82 10 1234 5678 1588 1234",
    "\ufeff010-1234-5678,\ufeff010 2222 3333\n010\u200b-3333-4444",
    "010-1234-5678\x1c010-2222-3333\x1f02\x1e123\x1d4567\x85010-4444-5555",
    "\ufeff\x1c \u200b",
    "\u1100\u1161 010-1234-5678",
    "1 " * 40 + "x " * 40 + "010 1234 5678 " + "(0)1 " * 10 + "+82 (0)10 1234 5678",
]
DESTINATION_TEXTS = [
    "010-1234-5678|홍길동\n010-2222-3333|김철수",
    "010-1234-5678|홍길동,010-1234-5678|다른이름,999|누구,홍길동",
    "010 1234 5678 김 철수\n010-2222-3333\t이영희\n01033334444",
    "010-1234-5678| Kim J. VIP \r\n\r\n,",
    "\ufeff010-1234-5678|\u1112\u1169\u11bc\u1100\u1175\u11af\u1103\u1169\u11bc\n"
    "010\x1c2222\x1d3333\x1f\uae40\ucca0\uc218\n\ufeff010 4444 5555\x1e\ubc15",
    "+82 (0)10 1234 5678 \ub0a8\uad81 \ubbfc\uc218",
    "0 1 0 1 2 3 4 5 6 7 8",
    "0 1 0 1 2 3 4 5 6 7 8 \ud64d",
    "010-1234-5678 " + "x " * 200,
    "x " * 200 + "010-1234-5678",
    *(case["text"] for case in DESTINATION_CASES),
    "홍길동\t010-1234-5678\n010-1234-5678,김철수\n이영희 010 2222 3333\n,\t,|",
]


@needs_node
def test_js_recipient_parsing_matches_server():
    script = """
    const show = (r) => ({recipients: r.recipients.map((x) => [x.phone, x.name]),
                          duplicates: r.duplicates, invalid: r.invalid,
                          nameFirst: r.nameFirst ?? 0});
    const joined = input.destination.map((t, i) => {
      const j = R.addNumbers(R.parseDestination(t),
                             R.parseRecipients(input.rphone[i % input.rphone.length]));
      return [show(j.list), j.added];
    });
    console.log(JSON.stringify({
      rphone: input.rphone.map((t) => show(R.parseRecipients(t))),
      destination: input.destination.map((t) => show(R.parseDestination(t))),
      joined: joined,
    }));
    """
    got = _node(script, {"rphone": RECIPIENT_TEXTS, "destination": DESTINATION_TEXTS})

    def show(result):
        return {"recipients": [[r.phone, r.name] for r in result.recipients],
                "duplicates": result.duplicates, "invalid": result.invalid,
                "nameFirst": result.name_first}

    assert got["rphone"] == [show(parse_recipients(t)) for t in RECIPIENT_TEXTS]
    assert got["destination"] == [show(parse_destination(t)) for t in DESTINATION_TEXTS]
    joined = []
    for i, text in enumerate(DESTINATION_TEXTS):
        numbers = parse_recipients(RECIPIENT_TEXTS[i % len(RECIPIENT_TEXTS)])
        together, added = add_numbers(parse_destination(text), numbers)
        joined.append([show(together), added])
    assert got["joined"] == joined
    assert any(added for _, added in joined)


@needs_node
def test_js_reads_the_shared_names_cases():
    script = """
    console.log(JSON.stringify(input.cases.map((c) => {
      const r = R.parseDestination(c.text);
      return [r.recipients.map((x) => [x.phone, x.name]), r.invalid, r.nameFirst];
    })));
    """
    got = _node(script, {"cases": DESTINATION_CASES})
    assert got == [[c["recipients"], c["invalid"], c["name_first"]] for c in DESTINATION_CASES]


LONGEST = [
    ("{name}님 안녕하세요", ["홍길동", "남궁민수", "Kim"]),
    ("{name}" * 333, ["n" * 100, "가" * 60]),
    ("안녕하세요", ["홍길동", "남궁민수"]),
    ("\u1100{name}", ["\u1161", "ab"]),
    ("{name}", []),
    ("{name}", ["\u1112\u1169\u11bc" * 40, "a" * 101, "가" * 100]),
]


@needs_node
def test_js_longest_merge_and_name_limit_match_server():
    script = """
    console.log(JSON.stringify(input.cases.map(([m, names]) => {
      const rs = names.map((n) => ({phone: "", name: n}));
      return [R.longestMergeLength(m, rs), R.tooLongNames(rs)];
    })));
    """
    got = _node(script, {"cases": LONGEST})
    expected = []
    for msg, names in LONGEST:
        recipients = [Recipient("", n) for n in names]
        too_long = [p for p in message.check_names(recipients) if p.code == "name_too_long"]
        expected.append([message.longest_merge_length(msg, recipients),
                         too_long[0].params["count"] if too_long else 0])
    assert got == expected
    assert expected[-1][1] == 1  # 40 syllables pasted as 120 jamo are 40 characters


MERGES = [
    ("{name}\ub2d8 \uc548\ub155", "\u1112\u1169\u11bc"),  # NFD name
    ("\u1100\u1161 {name}\r\n", "Kim"),  # NFD message, CRLF
    ("\u1100{name}", "\u1161"),  # composes across the placeholder
    ("no placeholder", "\ud64d"),
]
NAME_LISTS = [
    [],
    ["\ud64d\uae38\ub3d9", "Kim"],
    ["\ud64d\uae38\ub3d9", "\ub620\ub9ac\U0001f600", "\ub42c", "\U0001f600"],
    ["\u1103\u116c\u11bb", "caf\u00e9", "\u1103\u1169\u11b7"],  # NFD 됬, é, NFD 돔
    ["\u00a0", "\ufeff"],
]


@needs_node
def test_js_merge_and_name_chars_match_server():
    script = """
    console.log(JSON.stringify({
      merges: input.merges.map(([m, n]) => R.mergeName(m, n)),
      names: input.names.map((ns) => R.nameChars(ns.map((n) => ({phone: "", name: n})))),
    }));
    """
    got = _node(script, {"merges": MERGES, "names": NAME_LISTS})
    assert got["merges"] == [message.merge_name(m, n) for m, n in MERGES]
    expected = []
    for names in NAME_LISTS:
        unsupported, refused = message.name_chars([Recipient("", n) for n in names])
        expected.append({"unsupported": unsupported, "refused": refused})
    assert got["names"] == expected
    assert expected[2] == {"unsupported": ["\ub620", "\U0001f600"], "refused": ["\ub42c"]}
    assert expected[3] == {"unsupported": ["\u00e9"], "refused": ["\ub42c"]}


CONTROL_TEXTS = [
    "", "안녕하세요\n\t둘째 줄", "a\x00b", "\x07\x1b[31m빨강\x7f", "a\x85b\x9f",
    "\r\n줄\r", "\x0b세로 탭\x0c", "\x00\x00\x01", "\ufeff\u200b보이지 않는 글자",
]


@needs_node
def test_js_control_characters_match_server():
    script = """
    console.log(JSON.stringify({
      msg: input.texts.map((t) => R.messageControls(t)),
      points: input.texts.map((t) => R.codePoints(R.messageControls(t))),
      names: input.texts.map((t) => R.nameControls([{phone: "", name: t}, {phone: "", name: "x"}])),
    }));
    """
    got = _node(script, {"texts": CONTROL_TEXTS})
    assert got["msg"] == [control_chars(t, MESSAGE_CONTROLS) for t in CONTROL_TEXTS]
    assert got["points"] == [code_points(control_chars(t, MESSAGE_CONTROLS))
                             for t in CONTROL_TEXTS]
    assert got["names"] == [control_chars(t + "x") for t in CONTROL_TEXTS]
    assert got["msg"][3] == ["\x07", "\x1b", "\x7f"] and got["points"][4] == "U+0085 U+009F"
    assert got["names"][1] == ["\n", "\t"]  # a name is one line: its breaks are refused


@needs_node
def test_js_normalize_text_matches_server():
    texts = [c["text"] for c in CASES] + ["\u1100\u1161\r\n\r", "\ufeffa\u200b"]
    script = """
    console.log(JSON.stringify(input.texts.map((t) => [E.normalizeText(t), R.normalizeText(t)])))
    """
    assert _node(script, {"texts": texts}) == [[normalize_text(t)] * 2 for t in texts]


@needs_node
def test_js_composes_at_the_edges_of_the_combining_ranges():
    """euckr.js builds its compose pattern from the table's ranges, as text.compose does."""
    combining = _array("COMBINING_RANGES")
    assert combining
    texts = []
    for start, end in combining:
        for cp in (start - 1, start, end, end + 1):
            texts += ["e" + chr(cp), "\u1100" + chr(cp), "\u1100\u1161" + chr(cp)]
    script = "console.log(JSON.stringify(input.texts.map((t) => E.normalizeText(t))));"
    assert _node(script, {"texts": texts}) == [normalize_text(t) for t in texts]


@needs_node
def test_js_long_lines_parse_in_linear_time():
    """One huge line with many spaces used to take seconds (quadratic prefix parsing)."""
    script = """
    const t0 = Date.now();
    const r = R.parseRecipients(input.text);
    const d = R.parseDestination(input.text);
    const d2 = R.parseDestination("010 1234 5678 " + input.text);
    const n = R.parseRecipients(input.digits);
    console.log(JSON.stringify({
      ms: Date.now() - t0,
      r: [r.recipients.length, r.invalid.length],
      d: [d.recipients.length, d.invalid.length],
      d2: d2.recipients.map((x) => [x.phone, x.name.length]),
      n: [n.recipients.length, n.invalid.length],
    }));
    """
    text, digits = "x " * 50000, "1 " * 50000
    got = _node(script, {"text": text, "digits": digits})
    assert got["r"] == [0, 1] and got["d"] == [0, 1] and got["n"] == [0, 1]
    assert got["d2"] == [["010-1234-5678", len(text.strip())]]
    assert got["ms"] < 2000, f"parsing took {got['ms']} ms"


# --- gettext in the browser ---------------------------------------------------------------


@needs_node
def test_js_gettext_reads_the_servers_messages():
    script = """
    const before = I.gettext("Choose");
    I.setMessages(input.messages);
    console.log(JSON.stringify([
      before,
      I.gettext("Choose"),
      I.gettext("Not in the catalog: %(n)s", {n: 5}),
      I.gettext("Could not load sender numbers: %(reason)s", {reason: "HTTP 502"}),
      I.gettext("%(a)s and %(b)s, 100%%", {a: 1}),
      I.ngettext("%(count)s recipient", "%(count)s recipients", 1, {count: "1"}),
      I.ngettext("%(count)s recipient", "%(count)s recipients", 2, {count: "2"}),
      I.ngettext("%(num)s apple", "%(num)s apples", 3),
      I.formatNumber(2000),
    ]));
    """
    messages = {
        "Choose": "선택하세요",
        "Could not load sender numbers: %(reason)s": "발신번호를 불러오지 못했습니다: %(reason)s",
        "%(count)s recipient": ["%(count)s명", "%(count)s명"],
    }
    assert _node(script, {"messages": messages}) == [
        "Choose", "선택하세요", "Not in the catalog: 5", "발신번호를 불러오지 못했습니다: HTTP 502",
        "1 and %(b)s, 100%", "1명", "2명", "3 apples", "2,000",
    ]


def _calls(path: Path) -> int:
    """How many gettext/ngettext calls a script makes (not counting i18n.js's definitions)."""
    source = path.read_text(encoding="utf-8")
    return len(re.findall(r"(?<![\w.])n?gettext\(", source)) - len(
        re.findall(r"function n?gettext\(", source))


def test_every_js_string_is_a_literal_the_extractor_finds():
    """A gettext call with a computed id would be missing from the catalog."""
    for path in sorted(JS.rglob("*.js")):
        found = list(extract_from_file("javascript", str(path), keywords=JS_KEYWORDS))
        assert len(found) == _calls(path), path
    ids = js_msgids(str(JS))
    assert "Choose" in ids
    assert ("%(count)s recipient", "%(count)s recipients") in ids
    assert len(ids) == len(set(ids))
