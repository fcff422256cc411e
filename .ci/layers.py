"""Import graph of hip3's packages: prints the edges and any cycle between packages.

Usage: python .ci/layers.py [--modules] [--all]
Runtime imports only (those under `if TYPE_CHECKING:` are left out: they never run).
Exit status 1 when the package graph has a cycle.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    me = module_name(path)
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            for child in ast.walk(node) if not isinstance(node, ast.If) else [node]:
                if isinstance(child, ast.Import):
                    found.update(a.name for a in child.names)
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = me.split(".")
                        base = base[: len(base) - child.level + (1 if is_pkg else 0)]
                        mod = ".".join(base + ([child.module] if child.module else []))
                    else:
                        mod = child.module or ""
                    found.add(mod)
                    found.update(f"{mod}.{a.name}" for a in child.names)
            if isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)

    visit(tree.body)
    return {m for m in found if m.split(".")[0] in ("hip3", "hip3_cli")}


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def main() -> int:
    files = sorted((ROOT / "hip3").rglob("*.py"))
    modules = {module_name(f) for f in files}
    edges: dict[str, set[str]] = {}
    for f in files:
        src = package_of(module_name(f))
        for target in runtime_imports(f):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            dst = package_of(target)
            if dst != src and target in modules:
                edges.setdefault(src, set()).add(dst)
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    nodes = set(edges) | {d for ds in edges.values() for d in ds}
    for v in sorted(nodes):
        if v not in index:
            strong(v)
    for src in sorted(edges):
        print(f"{src} -> {', '.join(sorted(edges[src]))}")
    if cycles:
        for c in cycles:
            print("CYCLE:", " <-> ".join(c))
        return 1
    print(f"no cycle between the {len(nodes)} packages of hip3")
    return 0


if __name__ == "__main__":
    sys.exit(main())
