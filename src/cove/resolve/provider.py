"""The resolvelib provider: how requirements, candidates and identifiers relate. All knowledge of
packages comes from a PackageSource; the target interpreter comes in as a marker environment."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider

from cove.index.evaluate import applicable
from cove.resolve.source import Candidate, PackageSource

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

PYTHON = "<python>"  # the identifier of the target interpreter, for Requires-Python


class _SpecifierChecks:
    """packaging's check is slow and the resolver asks the same question thousands of times, so
    each answer is kept, keyed by the specifier's text, worked out once per object: hashing a
    SpecifierSet re-normalizes every version in it, which costs more than the check itself."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, Version], bool] = {}
        self._text: dict[int, tuple[SpecifierSet, str]] = {}  # id -> (the object, kept alive)

    def contains(self, spec: SpecifierSet, version: Version) -> bool:
        entry = self._text.get(id(spec))
        if entry is None:
            entry = self._text[id(spec)] = (spec, str(spec))
        key = (entry[1], version)
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = spec.contains(version, prereleases=True)
        return found


def identifier(name: NormalizedName, extras: Iterable[str] = ()) -> str:
    extras = sorted(canonicalize_name(e) for e in extras)
    return f"{name}[{','.join(extras)}]" if extras else name


@dataclass(frozen=True, slots=True)
class Need:
    """A requirement as the resolver sees it: a project (with extras) and what it must satisfy.

    ``pinned`` ties an extras identifier (``flask[async]``) to the exact base candidate;
    ``requirement`` is what a person wrote, kept for messages.
    """

    name: NormalizedName
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    url: str | None = None
    requirement: Requirement | None = None
    pinned: Candidate | None = None

    @classmethod
    def from_requirement(cls, req: Requirement) -> Need:
        return cls(
            name=canonicalize_name(req.name),
            extras=frozenset(canonicalize_name(e) for e in req.extras),
            specifier=req.specifier,
            url=req.url,
            requirement=req,
        )

    @property
    def key(self) -> str:
        return PYTHON if self.name == PYTHON else identifier(self.name, self.extras)

    def __str__(self) -> str:
        if self.name == PYTHON:
            return f"Python{self.specifier}"
        if self.requirement is not None:
            return str(self.requirement).partition(";")[0].strip()
        if self.pinned is not None:
            return f"{self.name}=={self.pinned.version}"
        return f"{self.key}{self.specifier}"


@dataclass(frozen=True, slots=True)
class ExtrasCandidate:
    """A candidate together with extras: depends on its base candidate plus the extras' needs."""

    base: Candidate
    extras: frozenset[str]

    @property
    def name(self) -> NormalizedName:
        return self.base.name

    @property
    def version(self) -> Version:
        return self.base.version

    def __str__(self) -> str:
        return f"{identifier(self.base.name, self.extras)} {self.base.version}"


@dataclass(frozen=True, slots=True)
class PythonCandidate:
    version: Version

    def __str__(self) -> str:
        return f"Python {self.version}"


@dataclass(frozen=True, slots=True)
class Policy:
    """Choices that change which candidate is preferred, mirroring pip's options."""

    markers: Mapping[str, str]  # the target interpreter's marker environment
    python_version: Version  # its full version, for Requires-Python
    constraints: Mapping[NormalizedName, SpecifierSet] = field(default_factory=dict)
    constraint_urls: Mapping[NormalizedName, str] = field(default_factory=dict)
    pre: bool = False
    installed: Mapping[NormalizedName, Candidate] = field(default_factory=dict)
    upgrade: frozenset[NormalizedName] = frozenset()  # projects that may move off what is installed
    upgrade_all: bool = False  # --upgrade-strategy eager
    reinstall: frozenset[NormalizedName] = frozenset()  # --force-reinstall: never keep installed
    no_deps: bool = False  # --no-deps: only what was asked for
    # A lock's pins (cove lock without --upgrade): tried before any other version of the index.
    preferred: Mapping[NormalizedName, Version] = field(default_factory=dict)


class Provider(AbstractProvider):  # type: ignore[type-arg]
    def __init__(self, source: PackageSource, policy: Policy) -> None:
        self.source = source
        self.policy = policy
        self._satisfied: dict[tuple[int, int], tuple[Need, Any, bool]] = {}
        self._checks = _SpecifierChecks()

    # -- identity -----------------------------------------------------------------------------

    def identify(self, requirement_or_candidate: Any) -> str:
        item = requirement_or_candidate
        if isinstance(item, Need):
            return item.key
        if isinstance(item, PythonCandidate):
            return PYTHON
        if isinstance(item, ExtrasCandidate):
            return identifier(item.base.name, item.extras)
        return str(item.name)

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Any],
        candidates: Mapping[str, Iterator[Any]],
        information: Mapping[str, Iterator[RequirementInformation[Need, Any]]],
        backtrack_causes: Sequence[RequirementInformation[Need, Any]],
    ) -> tuple[bool, bool, bool, bool, str]:
        needs = [info.requirement for info in information[identifier]]
        direct = any(n.url or n.pinned for n in needs)
        pinned = any(
            s.operator in ("==", "===") and not s.version.endswith("*")
            for n in needs
            for s in n.specifier
        )
        causes = {info.requirement.key for info in backtrack_causes}
        return (identifier != PYTHON, not direct, not pinned, identifier not in causes, identifier)

    # -- candidates ---------------------------------------------------------------------------

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Need]],
        incompatibilities: Mapping[str, Iterator[Any]],
    ) -> Any:
        needs = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        if identifier == PYTHON:
            py = PythonCandidate(self.policy.python_version)
            ok = all(n.specifier.contains(py.version, prereleases=True) for n in needs)
            return [py] if ok else []
        name = needs[0].name
        extras = needs[0].extras
        found = self._base_candidates(name, needs)

        def matches() -> Iterator[Any]:
            for c in found() if callable(found) else found:
                if c in bad or not all(self._satisfies(n, c) for n in needs):
                    continue
                item = ExtrasCandidate(c, extras) if extras else c
                if item not in bad:
                    yield item

        return matches if callable(found) else list(matches())

    def _base_candidates(self, name: NormalizedName, needs: list[Need]) -> Any:
        pinned = next((n.pinned for n in needs if n.pinned is not None), None)
        if pinned is not None:
            return [pinned]
        url = next((n.url for n in needs if n.url), None) or self.policy.constraint_urls.get(name)
        if url is not None:
            req = next(n.requirement for n in needs if n.url) if any(n.url for n in needs) else None
            return [self.source.direct(req or Requirement(f"{name} @ {url}"))]
        spec = SpecifierSet()
        for n in needs:
            spec &= n.specifier
        spec &= self.policy.constraints.get(name, SpecifierSet())

        def from_index() -> list[Candidate]:
            found = applicable(self.source.candidates(name), spec, self.policy.pre)
            pin = self.policy.preferred.get(name)
            if pin is None:
                return found
            return sorted(found, key=lambda c: c.version != pin)  # stable: the rest keep order

        installed = self.policy.installed.get(name)
        usable = (
            installed is not None
            and name not in self.policy.reinstall
            and spec.contains(installed.version, prereleases=True)
        )
        if not usable:
            return from_index()
        assert installed is not None
        if self.policy.upgrade_all or name in self.policy.upgrade:
            # Upgrading: the newest wins, but an installed copy of that very version is kept.
            ordered = from_index()
            if not ordered or ordered[0].version == installed.version:
                return [installed, *(c for c in ordered if c.version != installed.version)]
            return [*ordered, installed]

        def installed_first() -> Iterator[Candidate]:
            # The index is consulted only if the installed version is rejected (backtracking).
            yield installed
            yield from (c for c in from_index() if c.version != installed.version)

        return installed_first

    def _satisfies(self, need: Need, candidate: Candidate) -> bool:
        if need.pinned is not None:
            return candidate == need.pinned
        if need.url is not None:
            return candidate.url == need.url
        return self._checks.contains(need.specifier, candidate.version)

    def is_satisfied_by(self, requirement: Need, candidate: Any) -> bool:
        """Asked again for every pin in every round (13,000 times for jupyterlab), so answered
        once per pair; the entry holds both objects, so their ids cannot be reused."""
        key = (id(requirement), id(candidate))
        seen = self._satisfied.get(key)
        if seen is None:
            seen = self._satisfied[key] = (
                requirement,
                candidate,
                self._is_satisfied_by(requirement, candidate),
            )
        return seen[2]

    def _is_satisfied_by(self, requirement: Need, candidate: Any) -> bool:
        if isinstance(candidate, PythonCandidate):
            return self._checks.contains(requirement.specifier, candidate.version)
        base = candidate.base if isinstance(candidate, ExtrasCandidate) else candidate
        if requirement.url is not None:
            return base.direct
        return self._satisfies(requirement, base)

    # -- dependencies -------------------------------------------------------------------------

    def get_dependencies(self, candidate: Any) -> list[Need]:
        if isinstance(candidate, PythonCandidate):
            return []
        if isinstance(candidate, ExtrasCandidate):
            meta = self.source.metadata(candidate.base)
            needs = [Need(candidate.base.name, pinned=candidate.base)]
            for extra in sorted(candidate.extras) if not self.policy.no_deps else ():
                needs += self._needs(meta.requires_dist, extra)
            return needs
        meta = self.source.metadata(candidate)
        needs = []
        if meta.requires_python is not None and not candidate.installed:
            needs.append(Need(NormalizedName(PYTHON), specifier=meta.requires_python))
        if not self.policy.no_deps:
            needs += self._needs(meta.requires_dist, "")
        self.source.prefetch(self.wanted_from_index(n.name for n in needs))
        return needs

    def wanted_from_index(self, names: Iterable[NormalizedName]) -> list[NormalizedName]:
        """Names whose index pages resolution will likely read (not kept installed ones)."""
        p = self.policy
        return [
            n
            for n in names
            if n != PYTHON
            and (n not in p.installed or p.upgrade_all or n in p.upgrade or n in p.reinstall)
        ]

    def _needs(self, requires: Iterable[Requirement], extra: str) -> list[Need]:
        env = {**self.policy.markers, "extra": extra}
        out = []
        for req in requires:
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            if extra and (req.marker is None or not _mentions_extra(req)):
                continue  # an extra's candidate adds only what the extra itself asks for
            out.append(Need.from_requirement(req))
        return out


def _mentions_extra(req: Requirement) -> bool:
    return "extra" in str(req.marker)
