"""The import graph of the package: ``api`` → ``classifier`` → ``indexer`` only, and no cycles.

Every import is counted, including those inside functions and under ``TYPE_CHECKING``:
an import hidden in a function is still a dependency, and a cycle through one only
waits for the right call order to fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indexer", "classifier", "api")
LAYER = {"indexer": 0, "classifier": 1, "api": 2}
# Frameworks of the HTTP edge and the CLI: the core must work without them.
EDGE_ONLY = ("fastapi", "starlette", "pydantic_settings", "uvicorn", "typer", "click", "fastapi_offline")
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imported(path: Path, name: str, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(first-party modules, third-party top-level packages) imported anywhere in ``path``."""
    is_package = path.name == "__init__.py"
    first: set[str] = set()
    third: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            targets = [source]
            # ``from pkg import sub`` imports the package (its __init__) and the submodule.
            targets += [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
        for target in targets:
            top = target.split(".")[0]
            if top in PACKAGES:
                # ``import a.b.c`` needs a.b.c; the longest known prefix is the module.
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if parts:
                    first.add(".".join(parts))
            else:
                third.add(top)
    first.discard(name)
    return first, third


@pytest.fixture(scope="module")
def graph() -> dict[str, tuple[set[str], set[str]]]:
    modules = all_modules()
    return {name: imported(path, name, modules) for name, path in modules.items()}


def test_the_graph_is_complete(graph):
    # Guards the parser: a test that sees no edges would pass vacuously.
    assert len(graph) > 60
    assert "indexer.search.index" in graph["api.deps"][0] | graph["api.state"][0] or any(
        m.startswith("indexer.search") for m in graph["api.state"][0]
    )
    assert any(m.startswith("indexer.") for m in graph["classifier.model"][0])


def test_layers_point_one_way(graph):
    wrong = [
        f"{src} imports {dst}"
        for src, (deps, _) in graph.items()
        for dst in deps
        if LAYER[dst.split(".")[0]] > LAYER[src.split(".")[0]]
    ]
    assert not wrong, "\n".join(wrong)


def test_core_never_imports_the_edge(graph):
    wrong = [
        f"{src} imports {pkg}"
        for src, (_, third) in graph.items()
        if not src.startswith("api")
        for pkg in third
        if pkg in EDGE_ONLY
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles(graph):
    edges = {src: deps for src, (deps, _) in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles)


def test_cycle_detection_sees_imports_inside_functions(tmp_path):
    # The parser must count an import inside a function body.
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from indexer.errors import JixiaoError\n", encoding="utf-8")
    deps, _ = imported(path, "indexer.mod", all_modules())
    assert deps == {"indexer.errors"}


def source_files() -> list[Path]:
    """The package modules, the tests, the bench scripts and the web page's scripts."""
    packages = list(all_modules().values())
    scripts = [p for folder in ("tests", "bench") for p in sorted((ROOT / folder).rglob("*.py"))]
    return packages + scripts + sorted((ROOT / "api" / "static").glob("*.js"))


def test_modules_stay_small():
    files = source_files()
    # Guards the listing: a test that reads no file would pass vacuously.
    assert {"api/static/app.js", "bench/bench_load.py", "tests/conftest.py"} <= {
        str(p.relative_to(ROOT)) for p in files
    }
    long = {
        str(p.relative_to(ROOT)): n
        for p in files
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
