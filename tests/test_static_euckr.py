"""The browser's EUC-KR table and message rules match cafe24/message.py."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cafe24 import message

ROOT = Path(__file__).resolve().parent.parent
EUCKR_JS = ROOT / "static" / "js" / "euckr.js"
CASES = json.loads((ROOT / "tests" / "cases" / "message_cases.json").read_text(encoding="utf-8"))
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


@pytest.fixture(scope="module")
def ranges() -> list[tuple[int, int]]:
    """The [start, end] ranges as written in the committed euckr.js."""
    text = EUCKR_JS.read_text(encoding="utf-8")
    body = re.search(r"var RANGES = \[(.*?)\n  \];", text, re.S)
    assert body, "RANGES not found in euckr.js"
    return [(int(a), int(b)) for a, b in re.findall(r"\[(\d+),(\d+)\]", body[1])]


def _in_ranges(ranges: list[tuple[int, int]], cp: int) -> bool:
    return cp < 0x80 or any(start <= cp <= end for start, end in ranges)


def test_committed_file_is_generated(generator):
    """Regenerating the table gives the committed file byte for byte (run the script if not)."""
    assert EUCKR_JS.read_text(encoding="utf-8") == generator.build(), (
        "static/js/euckr.js is stale: run `python scripts/build_euckr_js.py`"
    )


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
    assert _in_ranges(ranges, ord(ch)) == message._is_supported(ch)


def test_membership_matches_server_across_the_bmp(ranges):
    for cp in range(0x80, 0x10000, 37):
        if 0xD800 <= cp < 0xE000:
            continue
        assert _in_ranges(ranges, cp) == message._is_supported(chr(cp)), hex(cp)


def _node(script: str, payload: object) -> object:
    """Run a node script that reads JSON on stdin and prints JSON."""
    done = subprocess.run(
        [NODE, "-e", script], input=json.dumps(payload), capture_output=True, text=True,
        cwd=ROOT, timeout=60, check=True,
    )
    return json.loads(done.stdout)


_STDIN = "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"


@needs_node
def test_js_meter_matches_shared_cases():
    script = _STDIN + """
    const E = require('./static/js/euckr.js');
    const R = require('./static/js/rules.js');
    console.log(JSON.stringify(input.map((t) => {
      const bytes = E.length(t);
      return {bytes, kind: R.messageKind(bytes, false, 90), unsupported: E.unsupported(t)};
    })));
    """
    got = _node(script, [c["text"] for c in CASES])
    expected = [{"bytes": c["bytes"], "kind": c["kind"], "unsupported": c["unsupported"]}
                for c in CASES]
    assert got == expected


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
    script = _STDIN + """
    const R = require('./static/js/rules.js');
    console.log(JSON.stringify(input.map((p) => R.normalizePhone(p))));
    """
    assert _node(script, PHONES) == [message.normalize_phone(p) for p in PHONES]


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
]


@needs_node
def test_js_recipient_parsing_matches_server():
    script = _STDIN + """
    const R = require('./static/js/rules.js');
    const show = (r) => ({recipients: r.recipients.map((x) => [x.phone, x.name]),
                          duplicates: r.duplicates, invalid: r.invalid});
    console.log(JSON.stringify({
      rphone: input.rphone.map((t) => show(R.parseRecipients(t))),
      destination: input.destination.map((t) => show(R.parseDestination(t))),
    }));
    """
    got = _node(script, {"rphone": RECIPIENT_TEXTS, "destination": DESTINATION_TEXTS})

    def show(result):
        return {"recipients": [[r.phone, r.name] for r in result.recipients],
                "duplicates": result.duplicates, "invalid": result.invalid}

    assert got["rphone"] == [show(message.parse_recipients(t)) for t in RECIPIENT_TEXTS]
    assert got["destination"] == [show(message.parse_destination(t)) for t in DESTINATION_TEXTS]


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
    script = _STDIN + """
    const R = require('./static/js/rules.js');
    console.log(JSON.stringify({
      merges: input.merges.map(([m, n]) => R.mergeName(m, n)),
      names: input.names.map((ns) => R.nameChars(ns.map((n) => ({phone: "", name: n})))),
    }));
    """
    got = _node(script, {"merges": MERGES, "names": NAME_LISTS})
    assert got["merges"] == [message.merge_name(m, n) for m, n in MERGES]
    expected = []
    for names in NAME_LISTS:
        unsupported, refused = message.name_chars([message.Recipient("", n) for n in names])
        expected.append({"unsupported": unsupported, "refused": refused})
    assert got["names"] == expected
    assert expected[2] == {"unsupported": ["\ub620", "\U0001f600"], "refused": ["\ub42c"]}
    assert expected[3] == {"unsupported": ["\u00e9"], "refused": ["\ub42c"]}


@needs_node
def test_js_normalize_text_matches_server():
    texts = [c["text"] for c in CASES] + ["\u1100\u1161\r\n\r", "\ufeffa\u200b"]
    script = _STDIN + """
    const E = require('./static/js/euckr.js');
    const R = require('./static/js/rules.js');
    console.log(JSON.stringify(input.map((t) => [E.normalizeText(t), R.normalizeText(t)])))
    """
    assert _node(script, texts) == [[message.normalize_text(t)] * 2 for t in texts]


@needs_node
def test_js_long_lines_parse_in_linear_time():
    """One huge line with many spaces used to take seconds (quadratic prefix parsing)."""
    script = _STDIN + """
    const R = require('./static/js/rules.js');
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
