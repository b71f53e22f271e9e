"""The layering docs/DESIGN.md describes, checked on the code: the import graph between cove's
packages is a DAG, and nothing in src/ imports cli/ (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cove"


def unit_of(module: str) -> str:
    """The package (or top-level module) a ``cove.x.y`` module belongs to: ``x``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "cove"


def package_graph(src: Path = SRC) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in src.rglob("*.py"):
        if "templates" in path.relative_to(src).parts:
            continue  # activation templates are rendered into environments, not imported
        rel = path.relative_to(src.parent).with_suffix("")
        here = unit_of(".".join(rel.parts).removesuffix(".__init__"))
        graph.setdefault(here, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
                if node.module == "cove":  # from cove import direct_url
                    targets = [f"cove.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("cove.") and unit_of(target) != here:
                    graph[here].add(unit_of(target))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_finder_of_cycles_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_package_graph_is_acyclic() -> None:
    graph = package_graph()
    assert {"cli", "index", "install", "prepare", "resolve", "venv"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_nothing_imports_cli() -> None:
    importers = sorted(
        unit for unit, targets in package_graph().items() if "cli" in targets and unit != "__main__"
    )
    assert importers == []
