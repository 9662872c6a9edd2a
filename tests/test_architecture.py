"""The layers of docs/architecture.md, checked on the imports of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every module name ``path`` imports (``from a.b import c`` gives a.b and a.b.c)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imported_names(path: Path, module: str) -> set[str]:
    """The names ``path`` takes from ``module`` with ``from module import ...``."""
    return {alias.name for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module == module
            for alias in node.names}


def _uses(path: Path, *prefixes: str) -> list[str]:
    return sorted(name for name in _imports(path)
                  if any(name == p or name.startswith(p + ".") for p in prefixes))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", _modules("cafe24"), ids=_rel)
def test_the_gateway_library_stands_alone(path):
    assert _uses(path, "flask", "smsform", "simulator", "config", "app") == []


@pytest.mark.parametrize("path", _modules("simulator"), ids=_rel)
def test_the_simulator_uses_only_the_library(path):
    assert _uses(path, "flask", "smsform", "config", "app") == []


@pytest.mark.parametrize("path", _modules("smsform/views"), ids=_rel)
def test_views_never_reach_the_gateway_themselves(path):
    assert _uses(path, "requests", "urllib3", "cafe24.client", "cafe24.encoding",
                 "simulator", "sqlalchemy", "smsform.extensions.db", "smsform.models") == []


@pytest.mark.parametrize("path", _modules("smsform/services"), ids=_rel)
def test_services_know_no_http(path):
    # No request globals either (``g``): a bulk worker runs the services without a request.
    web = {"request", "jsonify", "render_template", "redirect", "abort", "make_response",
           "Response", "session", "url_for", "flash", "g"}
    assert _imported_names(path, "flask") & web == set()
    assert _uses(path, "smsform.views", "smsform.forms", "smsform.errors", "werkzeug.wrappers",
                 "flask_babel", "requests") == []


WIRE_MODULES = ("requests", "urllib3", "defusedxml", "base64", "simulator.wsgi")
WIRE_FUNCTIONS = {
    "cafe24.encoding": {"b64_field", "b64_destination", "decode_field", "decode_destination",
                        "to_bytes", "from_bytes"},
    "cafe24.answers": {"parse_send_answer", "parse_remaining", "parse_senders",
                       "parse_results"},
}


@pytest.mark.parametrize("path", [*_modules("smsform"), ROOT / "config.py", ROOT / "app.py"],
                         ids=_rel)
def test_only_the_library_and_the_simulator_touch_the_wire(path):
    assert _uses(path, *WIRE_MODULES) == []
    for module, functions in WIRE_FUNCTIONS.items():
        assert _imported_names(path, module) & functions == set()
    assert "fields()" not in path.read_text()  # a SendRequest's wire fields stay in the client


def test_models_depend_only_on_the_database():
    assert _uses(ROOT / "smsform/models.py", "smsform") == [
        "smsform.extensions", "smsform.extensions.Model", "smsform.states",
        "smsform.states.Result"]


def test_the_states_import_nothing_of_the_app():
    assert _uses(ROOT / "smsform/states.py", "smsform", "cafe24", "flask", "sqlalchemy") == []


def test_no_module_reads_the_environment_but_config():
    readers = [_rel(p) for p in [*_modules("smsform"), ROOT / "app.py"]
               if "os.environ" in p.read_text() or "getenv" in p.read_text()]
    assert readers == ["app.py"]  # create_app hands os.environ to config.from_env


def test_only_the_gateway_service_imports_the_simulator():
    importers = [_rel(p) for p in [*_modules("smsform"), ROOT / "app.py", ROOT / "config.py"]
                 if _uses(p, "simulator")]
    assert importers == ["smsform/services/gateway.py"]


@pytest.mark.parametrize("path", [p for p in _modules("smsform")
                                  if p.parent == ROOT / "smsform"], ids=_rel)
def test_only_views_and_the_app_import_views(path):
    # The app's own modules sit below the edges: security.py, api_openapi.py... take what
    # they need from modules of their own level (form_guard, ids), never from a view.
    assert _uses(path, "smsform.views") == []
