"""No import cycle between hip3's modules (read from the source: imports inside functions
count, imports under ``if TYPE_CHECKING:`` do not)."""

from __future__ import annotations

import ast
from pathlib import Path

import hip3

ROOT = Path(hip3.__file__).parent

# Cycles known and accepted, each closed by an import inside a function:
KNOWN = [
    # hip3.store's package __getattr__ imports hip3.store.dataset on first use so that
    # `import hip3.store` does not need the optional pyarrow/duckdb; dataset reads two
    # constants from the package. Lazy on purpose.
    ["hip3.store", "hip3.store.dataset"],
]


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = ["hip3", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in mods else base)
    return {target for target in found if target in mods and target != name}


def _package(module: str) -> str:
    """``hip3.executor.executor`` -> ``hip3.executor``; a top-level module is its own."""
    return ".".join(module.split(".")[:2])


def import_cycles(*, packages: bool = False) -> list[list[str]]:
    """The strongly connected components of the import graph with more than one module
    (with ``packages``: of the graph between hip3's packages, ``hip3.X``)."""
    mods = _modules()
    graph = {name: _imports(name, path, mods) for name, path in mods.items()}
    if packages:
        merged: dict[str, set[str]] = {}
        for name, targets in graph.items():
            node = merged.setdefault(_package(name), set())
            node.update(_package(t) for t in targets if _package(t) != _package(name))
        graph = merged
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(cycles)


def test_no_import_cycle_between_hip3_modules() -> None:
    assert [cycle for cycle in import_cycles() if cycle not in KNOWN] == []


def test_no_import_cycle_between_hip3_packages() -> None:
    """The layers (signing -> wire -> clients -> tracker/executor -> bot -> app -> cli and
    notebook) import downwards only: no two packages import each other, even lazily."""
    assert import_cycles(packages=True) == []


def test_the_config_model_does_not_import_its_parser() -> None:
    mods = _modules()
    assert "hip3.config._load" not in _imports("hip3.config.model", mods["hip3.config.model"], mods)
