"""docs/architecture.md, checked: its module tables against the files, its layer table
against every module's imports, and the rules the table cannot say."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
#: The top-level names of this repository's own code.
FIRST_PARTY = ("app", "config", "cafe24", "simulator", "smsform")
_CODE = re.compile(r"`([^`]+)`")


def _section(title: str) -> str:
    """The text of the doc's ``## title`` section, up to the next ``## ``."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _rows(section: str) -> list[list[str]]:
    """The cells of every table row of ``section`` (header and rule rows left out)."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] not in ("module", "layer"):
            rows.append(cells)
    return rows


def _documented_modules() -> dict[str, str]:
    """Each module the doc lists, and its layer."""
    modules: dict[str, str] = {}
    for path, layer, *_what in _rows(_section("Modules")):
        name = _CODE.fullmatch(path)
        assert name, f"a module is written as `path`, not {path!r}"
        assert name.group(1) not in modules, f"{name.group(1)} is listed twice"
        modules[name.group(1)] = layer
    return modules


def _layers() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Each layer: what of this repository it may import, and what it must not import."""
    layers = {}
    for layer, may, must_not in _rows(_section("The layers and what each may import")):
        layers[layer] = (tuple(_CODE.findall(may)), tuple(_CODE.findall(must_not)))
    return layers


MODULES = _documented_modules()
LAYERS = _layers()


def _files() -> set[str]:
    python = [*ROOT.glob("cafe24/*.py"), *ROOT.glob("simulator/*.py"),
              *ROOT.glob("smsform/**/*.py"), ROOT / "app.py", ROOT / "config.py"]
    scripts = ROOT.glob("static/js/**/*.js")
    return {str(p.relative_to(ROOT)) for p in [*python, *scripts]
            if "__pycache__" not in p.parts}


def test_the_doc_lists_every_module_and_only_modules_that_exist():
    files, listed = _files(), set(MODULES)
    assert sorted(files - listed) == [], "modules missing from docs/architecture.md"
    assert sorted(listed - files) == [], "docs/architecture.md lists modules that do not exist"


def test_every_module_is_in_a_layer_of_the_table():
    assert {layer for layer in MODULES.values()} <= set(LAYERS)
    assert set(LAYERS) <= set(MODULES.values()), "a layer without modules"


# --- imports -----------------------------------------------------------------------------

def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> list[tuple[str, set[str]]]:
    """Each import of ``path`` (also inside functions): the module it takes, and every name
    it reaches (``from a.b import c`` reaches a.b and a.b.c), relative imports resolved."""
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, {alias.name}) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full if _is_module(full) else base, {base, full}))
    return found


def _covered(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


PYTHON = sorted(m for m in MODULES if m.endswith(".py"))


@pytest.mark.parametrize("module", PYTHON)
def test_each_module_imports_only_what_its_layer_may(module):
    path = ROOT / module
    may, must_not = LAYERS[MODULES[module]]
    own = _dotted(path).split(".")[0] if module.startswith(("cafe24/", "simulator/")) else ""
    for taken, reached in _imports(path):
        if taken.split(".")[0] in FIRST_PARTY and not (own and _covered(taken, (own,))):
            assert _covered(taken, may), f"{module} ({MODULES[module]}) imports {taken}"
        forbidden = sorted(name for name in reached if _covered(name, must_not))
        assert forbidden == [], f"{module} ({MODULES[module]}) imports {forbidden}"


_JS_IMPORT = re.compile(
    r"""(?:\bimport\s*(?:[^'"();]*?\bfrom\s*)?|\bimport\s*\()\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.endswith(".js")))
def test_browser_modules_import_only_each_other(module):
    path = ROOT / module
    for target in _JS_IMPORT.findall(path.read_text(encoding="utf-8")):
        assert target.startswith(("./", "../")), f"{module} imports {target}"
        resolved = (path.parent / target).resolve()
        assert resolved.is_file() and resolved.is_relative_to(ROOT / "static" / "js"), target


def test_the_import_reader_sees_what_it_must():
    # The checks above are only as good as this reader: a relative import, a name from a
    # package, a function's own import.
    assert ("cafe24.answers", {"cafe24.answers", "cafe24.answers.parse_send_answer"}) in \
        _imports(ROOT / "cafe24" / "client.py")
    assert any(taken == "smsform.messages" for taken, _ in
               _imports(ROOT / "smsform" / "views" / "send.py"))
    assert any(taken == "smsform.services.gateway" for taken, _ in
               _imports(ROOT / "smsform" / "cli.py"))  # imported inside a command


# --- what the table cannot say -----------------------------------------------------------

def _uses(module: str, *prefixes: str) -> list[str]:
    return sorted({name for _taken, reached in _imports(ROOT / module) for name in reached
                   if _covered(name, prefixes)})


def test_only_the_gateway_service_imports_the_simulator():
    importers = [m for m in PYTHON if not m.startswith("simulator/") and _uses(m, "simulator")]
    assert importers == ["smsform/services/gateway.py"]


@pytest.mark.parametrize("module", [m for m in PYTHON if MODULES[m] == "services"])
def test_services_know_no_request(module):
    # No request globals either (``g``): a bulk worker runs the services without a request.
    web = {"request", "jsonify", "render_template", "redirect", "abort", "make_response",
           "Response", "session", "url_for", "flash", "g"}
    assert {name.rpartition(".")[2] for name in _uses(module, "flask")} & web == set()


WIRE_MODULES = ("requests", "urllib3", "defusedxml", "base64", "simulator.wsgi")
WIRE_FUNCTIONS = ("cafe24.encoding.b64_field", "cafe24.encoding.b64_destination",
                  "cafe24.encoding.decode_field", "cafe24.encoding.decode_destination",
                  "cafe24.encoding.to_bytes", "cafe24.encoding.from_bytes",
                  "cafe24.answers.parse_send_answer", "cafe24.answers.parse_remaining",
                  "cafe24.answers.parse_senders", "cafe24.answers.parse_results")


@pytest.mark.parametrize("module", [m for m in PYTHON
                                    if not m.startswith(("cafe24/", "simulator/"))])
def test_only_the_library_and_the_simulator_touch_the_wire(module):
    assert _uses(module, *WIRE_MODULES, *WIRE_FUNCTIONS) == []
    # A SendRequest's wire fields stay in the client.
    assert "fields()" not in (ROOT / module).read_text()


def test_no_module_reads_the_environment_but_config():
    readers = [m for m in PYTHON if not m.startswith(("cafe24/", "simulator/"))
               and re.search(r"os\.environ|getenv", (ROOT / m).read_text())]
    assert readers == ["app.py"]  # create_app hands os.environ to config.from_env
