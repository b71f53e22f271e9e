"""Run the resolver and turn its failures into sentences a person can act on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from cove.errors import CoveError
from cove.resolve.provider import (
    PYTHON,
    ExtrasCandidate,
    Need,
    Policy,
    Provider,
    PythonCandidate,
)
from cove.resolve.source import Candidate, PackageSource


class ResolutionError(CoveError):
    """No set of candidates satisfies every requirement."""


@dataclass(frozen=True, slots=True)
class Resolution:
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

    provider = Provider(source, policy)
    needs = [Need.from_requirement(r) for r in requirements]
    source.prefetch(provider.wanted_from_index(n.name for n in needs))
    try:
        result = Resolver(provider, BaseReporter()).resolve(needs, max_rounds=20000)
    except ResolutionImpossible as exc:
        raise _explain(exc.causes, source, policy) from None
    except ResolutionTooDeep:
        raise ResolutionError(
            "the resolver gave up: too many combinations of versions to try",
            hint="pin some of the requirements more tightly (e.g. name==version)",
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


def _explain(causes: Iterable[Any], source: PackageSource, policy: Policy) -> ResolutionError:
    """One paragraph per project in conflict: each requirement, who asked, what exists."""
    by_name: dict[str, list[tuple[Need, str]]] = {}
    for info in causes:
        need: Need = info.requirement
        parent = info.parent
        who = "you asked for it" if parent is None else f"required by {_base_str(parent)}"
        by_name.setdefault(str(need.name), []).append((need, who))
    lines = []
    hint = "loosen or change the requirements above, or check the index has what you need"
    for name, items in by_name.items():
        if name == PYTHON:
            for need, who in items:
                lines.append(
                    f"{who.removeprefix('required by ')} needs Python{need.specifier}, "
                    f"but the environment has Python {policy.python_version}"
                )
            hint = "use an environment with a Python that fits (cove create -p VERSION)"
            continue
        project = NormalizedName(name)
        available = [c.version for c in source.candidates(project)]
        uniq = sorted(set(available))
        wanted = "; ".join(f"{need} ({who})" for need, who in _unique(items))
        if not uniq:
            why = source.describe_unavailable(project) or f"no versions of {name} were found"
            lines.append(f"{wanted}: {why}")
            if len(by_name) == 1:
                hint = "check the name and the index (--index-url, --extra-index-url, --find-links)"
            continue
        shown = ", ".join(str(v) for v in uniq[-8:])
        more = f" (and {len(uniq) - 8} older)" if len(uniq) > 8 else ""
        if len(items) == 1:
            lines.append(f"no version of {name} matches {wanted}; available: {shown}{more}")
        else:
            lines.append(
                f"these requirements on {name} conflict: {wanted}; available: {shown}{more}"
            )
        if name in policy.constraints:
            lines[-1] += f"; constrained to {policy.constraints[project]}"
        skipped = source.describe_unavailable(project)
        if skipped:
            lines[-1] += f"; also seen and skipped: {skipped}"
            if "requires Python" in skipped:
                hint = "use an environment with a Python that fits (cove create -p VERSION)"
    return ResolutionError("cannot resolve the requirements:\n  " + "\n  ".join(lines), hint=hint)


def _unique(items: list[tuple[Need, str]]) -> list[tuple[Need, str]]:
    seen: set[str] = set()
    out = []
    for need, who in items:
        key = f"{need}|{who}"
        if key not in seen:
            seen.add(key)
            out.append((need, who))
    return out


__all__ = ["Candidate", "PythonCandidate", "Resolution", "ResolutionError", "resolve"]
