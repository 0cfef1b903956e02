"""The layout's rules, checked on the source: dependencies point one way.

CLI (and the web server) -> Project -> stage modules -> store. A stage module never imports
project.py; only qualkit/store speaks SQL; only qualkit/cli imports click; the CLI never touches
the store, it goes through Project.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qualkit"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_edge(name: str) -> bool:
    return name == "qualkit.project" or name.startswith(("qualkit.cli", "qualkit.web")) or name == "qualkit.__main__"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_architecture_stage_modules_never_import_project(path):
    if _is_edge(_name(path)):
        return
    assert not any(i == "qualkit.project" or i.startswith("qualkit.project.") for i in _imports(path))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_architecture_only_the_store_speaks_sql(path):
    if _name(path).startswith("qualkit.store"):
        return
    assert "sqlite3" not in {i.split(".")[0] for i in _imports(path)}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_architecture_only_the_cli_imports_click(path):
    if _name(path).startswith("qualkit.cli"):
        return
    assert "click" not in {i.split(".")[0] for i in _imports(path)}


@pytest.mark.parametrize("path", [p for p in MODULES if _name(p).startswith(("qualkit.cli", "qualkit.web"))],
                         ids=_name)
def test_architecture_the_cli_goes_through_project(path):  # and the web server (#21)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    touches = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "store"]
    assert not touches, f"{path.name} reaches into project.store on line(s) {touches}"
    assert not any(i.startswith("qualkit.store") for i in _imports(path))
