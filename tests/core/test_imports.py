"""The house's structure: every import in kspec/ points down a floor, there are no import cycles
(function-level imports count), and no module imports another module's ``_private`` name.

Floors, top first (a module imports from its own floor, without cycles, or from lower floors):

    7  kspec (the package), kspec.entry, kspec.__main__   the entry points
    6  kspec.cli                                           the command line
    5  kspec.api, .api_commands, .lintcmd, .export         the Python API; `kspec lint` without typer; export
    4  kspec.run.*                                         training, saved runs, predict, visualize
    3  kspec.report.*                                      figures and report.html
    2  kspec.run.rundir, .history, .checkpoint             the run directory's format on disk
    1  kspec.pipeline, kspec.analyse.batch, kspec.*cmd     the stages put together (datacmd, seqcmd)
    0  everything else                                     parse, validate, resolve, analyse, emit, render
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "kspec"

RUN_DIRECTORY = {"kspec.run.rundir", "kspec.run.history", "kspec.run.checkpoint"}


def floor(module: str) -> int:
    if module in ("kspec", "kspec.entry", "kspec.__main__"):
        return 7
    if module == "kspec.cli":
        return 6
    if module in ("kspec.api", "kspec.api_commands", "kspec.lintcmd", "kspec.export"):
        return 5
    if module in RUN_DIRECTORY:
        return 2
    if module == "kspec.run" or module.startswith("kspec.run."):
        return 4
    if module.startswith("kspec.report"):
        return 3
    if module in ("kspec.pipeline", "kspec.analyse.batch") or (module.endswith("cmd") and module.count(".") == 1):
        return 1  # kspec.datacmd, kspec.seqcmd: a command's library half
    return 0


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports() -> tuple[set[str], list[tuple[str, str, str, int]]]:
    """Every kspec module, and every (importer, imported module, imported name, line)."""
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target != "kspec" and not target.startswith("kspec."):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    edges.append((name, sub if sub in modules else target, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "kspec" or alias.name.startswith("kspec."):
                        edges.append((name, alias.name, "", node.lineno))
    return modules, edges


MODULES, EDGES = _imports()


def test_the_scan_sees_the_package():
    assert {"kspec.parse", "kspec.run.runner", "kspec.analyse.lint", "kspec.report.plots"} <= MODULES
    assert any(a == "kspec.run.runner" and b == "kspec.run.common" for a, b, _, _ in EDGES)


def test_no_module_imports_another_modules_private_name():
    private = [f"{a}:{line} imports {name} from {b}" for a, b, name, line in EDGES
               if name.startswith("_") and not name.startswith("__") and a != b]
    assert not private, private


def test_every_import_points_down_a_floor():
    up = [f"{a}:{line} (floor {floor(a)}) imports {b} (floor {floor(b)})" for a, b, _, line in EDGES
          if floor(b) > floor(a)]
    assert not up, up


def test_no_import_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b, _, _ in EDGES:
        if a != b:
            graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    counter = 0
    for root in sorted(MODULES):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    assert not cycles, cycles


@pytest.mark.parametrize("module", ["kspec.analyse.lint", "kspec.analyse.config", "kspec.run.visualize"])
def test_known_former_cycles_stay_broken(module):
    # analyse.rules <-> analyse.lint and run.visualize -> run.runner were circles once
    targets = {b for a, b, _, _ in EDGES if a == module}
    if module.startswith("kspec.analyse"):
        assert not any(t.startswith("kspec.analyse.rules.") and t != "kspec.analyse.rules" for t in targets)
        assert all(not (b == module) for a, b, _, _ in EDGES if a.startswith("kspec.analyse.rules"))
    else:
        assert "kspec.run.runner" not in targets
