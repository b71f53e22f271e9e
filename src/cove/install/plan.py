"""What an install changes: installed versus wanted, as a value that can be printed, tested and
reported before anything touches the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from cove.inspect.installed import InstalledDistribution
    from cove.resolve.source import Candidate


@dataclass(frozen=True, slots=True)
class Plan:
    install: tuple[Candidate, ...]  # to link in, sorted by name
    remove: tuple[
        InstalledDistribution, ...
    ]  # to take out first: replaced versions (or uninstalls)
    keep: tuple[Candidate, ...]  # already installed and chosen again
    requested: frozenset[NormalizedName]

    @property
    def empty(self) -> bool:
        return not self.install and not self.remove


def plan_install(
    chosen: Mapping[NormalizedName, Candidate],
    installed: Mapping[NormalizedName, InstalledDistribution],
    requested: frozenset[NormalizedName],
    reinstall: frozenset[NormalizedName] = frozenset(),
) -> Plan:
    """Install what the resolution chose and is not installed; replace what differs."""
    install, remove, keep = [], [], []
    for name in sorted(chosen):
        candidate = chosen[name]
        if candidate.installed and name not in reinstall:
            keep.append(candidate)
            continue
        install.append(candidate)
        if name in installed:
            remove.append(installed[name])
    return Plan(tuple(install), tuple(remove), tuple(keep), requested)


def plan_uninstall(
    names: list[NormalizedName], installed: Mapping[NormalizedName, InstalledDistribution]
) -> tuple[Plan, list[NormalizedName]]:
    """Remove the named distributions; also return the names that are not installed."""
    missing = [n for n in names if n not in installed]
    remove = tuple(installed[n] for n in dict.fromkeys(names) if n in installed)
    return Plan((), remove, (), frozenset()), missing
