"""Run the resolver and turn its failures into sentences a person can act on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from cove.resolve.provider import (
    PYTHON,
    ExtrasCandidate,
    Need,
    Policy,
    Provider,
    PythonCandidate,
)
from cove.resolve.source import Candidate, PackageSource

ROUNDS = 20_000  # resolvelib's rounds before giving up: about a minute at worst here


class Resolution(NamedTuple):
    """The chosen candidate per project, and who asked for whom (for reports and trees)."""

    chosen: dict[NormalizedName, Candidate]
    parents: dict[NormalizedName, tuple[str, ...]]  # project -> "flask 2.0" or "" (asked directly)
    extras: dict[NormalizedName, frozenset[str]]


def resolve(
    requirements: Sequence[Requirement], source: PackageSource, policy: Policy
) -> Resolution:
    """Pick one candidate of every project the requirements need, for the target in ``policy``."""
    from resolvelib import BaseReporter, Resolver
    from resolvelib.resolvers import ResolutionImpossible, ResolutionTooDeep

    needs = [Need.from_requirement(r) for r in requirements]
    provider = Provider(source, policy, needs)
    source.prefetch(provider.wanted_from_index(n.name for n in needs))
    try:
        result = Resolver(provider, BaseReporter()).resolve(needs, max_rounds=ROUNDS)
    except ResolutionImpossible as exc:
        from cove.resolve.explain import explain  # only a failure is explained

        raise explain(exc.causes, provider) from None
    except ResolutionTooDeep:
        from cove.resolve.explain import ResolutionError

        names = provider.most_conflicted(5)
        which = f" (most often in conflict: {', '.join(names)})" if names else ""
        raise ResolutionError(
            f"the resolver gave up after {ROUNDS:,} rounds: too many combinations of versions "
            f"to try{which}",
            hint="pin some of these more tightly (name==version, or a narrower range)",
        ) from None
    chosen: dict[NormalizedName, Candidate] = {}
    extras: dict[NormalizedName, frozenset[str]] = {}
    for value in result.mapping.values():
        if isinstance(value, ExtrasCandidate):
            extras[value.name] = extras.get(value.name, frozenset()) | value.extras
        elif isinstance(value, Candidate):
            chosen[value.name] = value
    parents: dict[NormalizedName, tuple[str, ...]] = {}
    for key, criterion in result.criteria.items():
        if key == PYTHON:
            continue
        name = NormalizedName(key.partition("[")[0])
        found = {
            "" if info.parent is None else _base_str(info.parent) for info in criterion.information
        }
        found.discard(str(chosen.get(name)))
        parents[name] = tuple(sorted(set(parents.get(name, ())) | found))
    return Resolution(chosen, parents, extras)


def _base_str(parent: object) -> str:
    if isinstance(parent, ExtrasCandidate):
        return str(parent.base)
    return str(parent)


__all__ = ["Candidate", "PythonCandidate", "Resolution", "resolve"]
