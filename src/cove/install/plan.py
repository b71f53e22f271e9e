"""What an install changes: installed versus wanted, as a value that can be printed, tested and
reported before anything touches the environment."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from cove.direct_url import DirectUrl
    from cove.inspect.installed import InstalledDistribution
    from cove.resolve.source import Candidate


class Plan(NamedTuple):
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


class Pinned(NamedTuple):
    """One distribution a lock (or a requirements file pinning everything) names, installed as
    it says, never resolved: an index file ready to fetch (``candidate``), or a pin or direct
    reference the source makes ready (``requirement``).

    ``direct_url`` is the PEP 610 record an install from it writes (None for an index file): an
    installed copy is kept only when its version and its own record match. ``hashes`` are what
    the file must match (``sha256:<hex>``), ``size`` its length when known; ``where`` names the
    file and entry it came from, for messages (``pylock.toml: package 'attrs' (packages[0])``).
    """

    name: NormalizedName
    version: Version | None  # None: a source tree, whose version only its build tells
    candidate: Candidate | None = None
    requirement: Requirement | None = None
    direct_url: DirectUrl | None = None
    hashes: frozenset[str] = frozenset()
    size: int | None = None
    editable: bool = False
    where: str = ""


def plan_exact(
    pinned: Sequence[Pinned],
    installed: Mapping[NormalizedName, InstalledDistribution],
    remove_unnamed: bool,
    keep_unnamed: Collection[NormalizedName] = (),
) -> tuple[list[Pinned], list[Candidate], list[InstalledDistribution]]:
    """What installing exactly ``pinned`` takes: the pins to install (sorted by name), the
    installed distributions kept as they are, and those to remove (replaced ones, and with
    ``remove_unnamed`` every one the pins do not name, except ``keep_unnamed``)."""
    from cove.direct_url import same_source
    from cove.resolve.source import Candidate

    todo, keep, remove = [], [], []
    for pin in sorted(pinned, key=lambda p: p.name):
        found = installed.get(pin.name)
        same_version = found is not None and pin.version in (None, found.parsed_version)
        if found is not None and same_version and same_source(found.direct_url(), pin.direct_url):
            keep.append(Candidate(pin.name, found.parsed_version, found))
            continue
        todo.append(pin)
        if found is not None:
            remove.append(found)
    if remove_unnamed:
        named = {p.name for p in pinned}
        remove += [
            dist
            for name, dist in sorted(installed.items())
            if name not in named and name not in keep_unnamed
        ]
    return todo, keep, remove
