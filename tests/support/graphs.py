"""Dependency graphs that stress a resolver, as {project: {version: (requires, requires_python)}}
for the in-memory source, or as wheels (``wheels``) for find-links directories and indexes."""

from __future__ import annotations

import random
from collections.abc import Mapping

from tests.support.dists import WheelSpec

Projects = Mapping[str, Mapping[str, tuple[list[str], str | None]]]
Graph = dict[str, dict[str, tuple[list[str], str | None]]]  # a Projects one can add to


def chain(versions: tuple[str, ...], last: str, depth: int = 10, top: str = "1.0") -> Graph:
    """a ``top`` -> c1 -> c2 -> ... -> c<depth> -> ``last``, each c in all of ``versions``: a
    conflict at the bottom is found late, after every level was pinned."""
    projects: Graph = {"a": {top: (["c1"], None)}}
    for i in range(1, depth + 1):
        below = f"c{i + 1}" if i < depth else last
        projects[f"c{i}"] = {v: ([below], None) for v in versions}
    return projects


def random_graph(seed: int) -> Graph:
    """40 projects of 8 versions, each requiring 3 later ones, 30% with an upper bound: solvable
    graphs whose ranges conflict enough to need backtracking (seeds 2 and 5 made cove give up
    after 20,000 rounds, or crash)."""
    rng = random.Random(seed)
    projects: Graph = {}
    for i in range(40):
        for v in range(1, 9):
            deps = []
            for j in rng.sample(range(i + 1, 40), k=min(3, 39 - i)) if i < 39 else []:
                lo = rng.randint(1, 6)
                bounded = rng.random() >= 0.7
                deps.append(f"p{j}>={lo},<{lo + rng.randint(1, 3)}" if bounded else f"p{j}>={lo}")
            projects.setdefault(f"p{i}", {})[f"{v}.0"] = (deps, None)
    return projects


def wheels(projects: Projects) -> list[WheelSpec]:
    return [
        WheelSpec(name, version, requires=requires, requires_python=python)
        for name, versions in projects.items()
        for version, (requires, python) in versions.items()
    ]
