"""The fast path of a repeated install: when what is installed already satisfies every
requirement and everything those need, there is nothing to resolve and no index to ask."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from cove.inspect.installed import InstalledDistribution
from cove.names import canonical

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


def _requires(dist: InstalledDistribution) -> list[Requirement] | None:
    """Requires-Dist of an installed distribution, or None when it cannot be read."""
    try:
        return dist.requirements()
    except ValueError:
        return None


def already_satisfied(
    requirements: Sequence[Requirement],
    constraints: Mapping[NormalizedName, SpecifierSet],
    installed: Mapping[NormalizedName, InstalledDistribution],
    markers: Mapping[str, str],
) -> bool:
    """True when the installed set meets the requirements and their dependencies, walked
    transitively with markers evaluated for the environment's interpreter."""
    queue = [(r, "") for r in requirements]
    seen: set[tuple[str, str]] = set()
    while queue:
        req, extra = queue.pop()
        if req.marker is not None and not req.marker.evaluate({**markers, "extra": extra}):
            continue
        if req.url:
            return False  # a direct reference is always re-checked by the full path
        name = canonical(req.name)
        ref = installed.get(name)
        if ref is None:
            return False
        spec = req.specifier & constraints.get(name, SpecifierSet())
        if not spec.contains(ref.parsed_version, prereleases=True):
            return False
        extras = tuple(sorted(canonical(e) for e in req.extras)) or ("",)
        for e in extras:
            if (name, e) in seen:
                continue
            seen.add((name, e))
            deps = _requires(ref)
            if deps is None:
                return False
            for dep in deps:
                mentions_extra = dep.marker is not None and "extra" in str(dep.marker)
                if e and not mentions_extra:
                    continue  # base dependencies are walked through the "" entry
                queue.append((dep, e))
            if e:
                queue.append((Requirement(str(name)), ""))
    return True
