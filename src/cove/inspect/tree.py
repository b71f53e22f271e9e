"""The dependency tree of an environment: from what nothing needs down to the leaves, or with
``reverse`` from one project up to everything that needs it. A cycle is shown once, marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.utils import NormalizedName, canonicalize_name

from cove.inspect.installed import InstalledDistribution


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    version: str | None  # None: required but not installed
    required: str  # the specifier the parent asked for ("" at the top, "any" when none)
    children: list[Node] = field(default_factory=list)
    cycle: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": self.version,
            "required": self.required,
            "cycle": self.cycle,
            "dependencies": [c.to_json() for c in self.children],
        }


def _edges(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str]
) -> dict[NormalizedName, list[tuple[NormalizedName, str, str]]]:
    """project -> [(dependency, its name as written, specifier)]."""
    out: dict[NormalizedName, list[tuple[NormalizedName, str, str]]] = {}
    for dist in dists:
        try:
            reqs = dist.requires(markers)
        except ValueError:
            reqs = []
        out[dist.canonical_name] = [
            (canonicalize_name(r.name), r.name, str(r.specifier) or "any") for r in reqs
        ]
    return out


def forward(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str], depth: int | None = None
) -> list[Node]:
    by_name = {d.canonical_name: d for d in dists}
    edges = _edges(dists, markers)
    needed = {dep for deps in edges.values() for dep, _, _ in deps}
    roots = sorted(
        (d for d in dists if d.canonical_name not in needed), key=lambda d: d.name.lower()
    )
    if not roots:  # everything is in a cycle: start from every project
        roots = sorted(dists, key=lambda d: d.name.lower())

    def build(
        name: NormalizedName, shown: str, spec: str, path: tuple[str, ...], level: int
    ) -> Node:
        dist = by_name.get(name)
        version = dist.normalized_version if dist else None
        label = dist.name if dist else shown
        if name in path:
            return Node(label, version, spec, cycle=True)
        node = Node(label, version, spec)
        if dist is not None and (depth is None or level < depth):
            for dep, dep_shown, dep_spec in sorted(edges.get(name, []), key=lambda e: e[0]):
                node.children.append(build(dep, dep_shown, dep_spec, (*path, name), level + 1))
        return node

    return [build(d.canonical_name, d.name, "", (), 0) for d in roots]


def reverse(
    target: str,
    dists: Sequence[InstalledDistribution],
    markers: Mapping[str, str],
    depth: int | None = None,
) -> Node | None:
    by_name = {d.canonical_name: d for d in dists}
    edges = _edges(dists, markers)
    parents: dict[NormalizedName, list[tuple[NormalizedName, str]]] = {}
    for parent, deps in edges.items():
        for dep, _, spec in deps:
            parents.setdefault(dep, []).append((parent, spec))
    start = canonicalize_name(target)
    if start not in by_name:
        return None

    def build(name: NormalizedName, spec: str, path: tuple[str, ...], level: int) -> Node:
        dist = by_name[name]
        if name in path:
            return Node(dist.name, dist.normalized_version, spec, cycle=True)
        node = Node(dist.name, dist.normalized_version, spec)
        if depth is None or level < depth:
            for parent, parent_spec in sorted(parents.get(name, [])):
                node.children.append(build(parent, parent_spec, (*path, name), level + 1))
        return node

    return build(start, "", (), 0)


def render(nodes: Sequence[Node], reverse_mode: bool = False) -> str:
    lines: list[str] = []

    def walk(node: Node, indent: int) -> None:
        if indent == 0:
            lines.append(f"{node.name}=={node.version}")
        else:
            installed = node.version if node.version is not None else "not installed"
            relation = "requires" if reverse_mode else "required"
            mark = " (cycle)" if node.cycle else ""
            lines.append(
                f"{'  ' * indent}- {node.name} [{relation}: {node.required}, "
                f"installed: {installed}]{mark}"
            )
        for child in node.children:
            walk(child, indent + 1)

    for node in nodes:
        walk(node, 0)
    return "".join(line + "\n" for line in lines)
