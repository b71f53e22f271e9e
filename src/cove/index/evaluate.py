"""Which of a project's links a target can use, and the best one per version, ranked as pip
ranks them: supported tags, Requires-Python, binary policy, yanked files (PEP 592)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from cove.index.models import Link


@dataclass(frozen=True, slots=True)
class BinaryPolicy:
    """--only-binary / --no-binary (project names or ``:all:``) and --prefer-binary."""

    only_binary: frozenset[str] = frozenset()
    no_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False

    def wheels_allowed(self, name: NormalizedName) -> bool:
        return not (
            (":all:" in self.no_binary or name in self.no_binary) and name not in self.only_binary
        )

    def sdists_allowed(self, name: NormalizedName) -> bool:
        return not (
            (":all:" in self.only_binary or name in self.only_binary) and name not in self.no_binary
        )


@dataclass(frozen=True, slots=True)
class Ranked:
    """The best link of one version, and whether every file of that version is yanked."""

    version: Version
    link: Link
    yanked: bool


@dataclass(frozen=True, slots=True)
class Evaluation:
    ranked: tuple[Ranked, ...]  # newest (or, with prefer-binary, wheel-backed) first
    rejected: tuple[str, ...] = field(default=())  # why links were dropped, for error messages


def evaluate(
    links: Iterable[Link],
    name: NormalizedName,
    tags: Sequence[Tag],
    python_version: Version,
    policy: BinaryPolicy | None = None,
) -> Evaluation:
    policy = policy or BinaryPolicy()
    priority = {tag: i for i, tag in enumerate(tags)}
    worst = len(priority)
    usable: dict[Version, list[tuple[tuple[int, int, tuple[int, str] | tuple[()]], Link]]] = {}
    reasons: dict[str, None] = {}
    wheels_ok, sdists_ok = policy.wheels_allowed(name), policy.sdists_allowed(name)
    for link in links:
        if link.requires_python:
            try:
                fits = SpecifierSet(link.requires_python).contains(python_version, prereleases=True)
            except InvalidSpecifier:
                fits = True  # as pip: a broken Requires-Python is ignored
            if not fits:
                reasons[f"{link.version} requires Python {link.requires_python}"] = None
                continue
        if link.is_wheel:
            if not wheels_ok:
                reasons["wheels are refused by --no-binary"] = None
                continue
            assert link.tags is not None
            rank = min((priority.get(t, worst) for t in link.tags), default=worst)
            if rank == worst:
                reasons[f"{link.filename} does not fit this interpreter"] = None
                continue
            key = (1, -rank, link.build)
        else:
            if not sdists_ok:
                reasons["source distributions are refused by --only-binary"] = None
                continue
            key = (0, 0, ())
        usable.setdefault(link.version, []).append((key, link))
    best: dict[Version, tuple[Link, bool]] = {}
    for version, options in usable.items():
        good = [o for o in options if o[1].yanked is None]
        # A yanked file is used only when every file of that version is yanked (PEP 592).
        pool = good or options
        best[version] = (max(pool, key=lambda o: o[0])[1], not good)

    def order(v: Version) -> tuple[bool, Version]:
        return (best[v][0].is_wheel if policy.prefer_binary else True, v)

    ranked = tuple(Ranked(v, *best[v]) for v in sorted(best, key=order, reverse=True))
    return Evaluation(ranked, tuple(reasons))
