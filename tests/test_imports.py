"""Imports run one way: the module-level imports of app/ form no cycle, and no module imports
our own code inside a function to dodge one (docs/ARCHITECTURE.md, section 2)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
# Imports inside functions on purpose, not to dodge a cycle: the factory binds extensions and
# loads blueprints only when an app is built; the demo seed, the error handlers and the stream
# server (uvicorn, only for `flask notifications serve`) load late.
LAZY_ON_PURPOSE = {"app", "app.cli", "app.errors", "app.notifications.cli"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(APP.rglob("*.py"))}


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules of ours an import statement loads (a `from package import module` loads both)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.split(".")[0] == "app"]
    if node.level or not node.module or node.module.split(".")[0] != "app":
        return []
    found = [node.module] if node.module in MODULES else []
    return found + [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES]


def _graph() -> dict[str, set[str]]:
    """Module → the modules of ours it imports at module level."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = {target for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
                 for target in _targets(node)}
        # A package is in sys.modules before its modules run: naming one's own package closes no cycle.
        graph[name] = {target for target in edges if not (name == target or name.startswith(target + "."))}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None (depth-first search with colours)."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return None


def test_module_imports_form_no_cycle():
    assert _cycle(_graph()) is None


def test_the_check_finds_a_cycle_when_there_is_one():
    graph = _graph()
    graph["app.dispatch.assignment"].add("app.reports.workflow")  # what the old effects import did
    assert _cycle(graph) is not None


@pytest.mark.parametrize("name", sorted(set(MODULES) - LAZY_ON_PURPOSE))
def test_no_import_of_our_code_inside_a_function(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    inner = [node.lineno for top in tree.body if isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
             for node in ast.walk(top) if isinstance(node, ast.Import | ast.ImportFrom) and _targets(node)]
    assert inner == [], f"{name} imports app code inside a function at lines {inner}"


@pytest.mark.parametrize("name", ["app.reports.workflow", "app.dispatch.assignment", "app.reports.effects"])
def test_the_former_cycle_imports_alone(name):
    # A fresh interpreter per module: each must import first, by itself, with nothing preloaded.
    done = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
