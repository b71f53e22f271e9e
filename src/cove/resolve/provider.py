"""The resolvelib provider: how requirements, candidates and identifiers relate. All knowledge of
packages comes from a PackageSource; the target interpreter comes in as a marker environment."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from packaging.requirements import Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider

from cove.index.evaluate import applicable
from cove.index.metadata import CandidateMetadata
from cove.resolve.source import Candidate, PackageSource

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

PYTHON = "<python>"  # the identifier of the target interpreter, for Requires-Python
# Conflicts a project must have been in before it is settled early. Measured on 24 random graphs
# of conflicting ranges (tests/support/graphs.py): 5 took 6,220 pins in all, the worst 1,273;
# 3 took 6,813; 8 took 7,688; ordering by the raw count took 25,345, the worst 17,011.
RECURRING = 5


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


class Need(NamedTuple):
    """A requirement as the resolver sees it: a project (with extras) and what it must satisfy.

    ``pinned`` ties an extras identifier (``flask[async]``) to the exact base candidate;
    ``requirement`` is what a person wrote, kept for messages.
    """

    name: NormalizedName
    extras: frozenset[str] = frozenset()
    specifier: SpecifierSet = SpecifierSet()
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


class ExtrasCandidate(NamedTuple):
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


class PythonCandidate(NamedTuple):
    version: Version

    def __str__(self) -> str:
        return f"Python {self.version}"


class Policy(NamedTuple):
    """Choices that change which candidate is preferred, mirroring pip's options."""

    markers: Mapping[str, str]  # the target interpreter's marker environment
    python_version: Version  # its full version, for Requires-Python
    constraints: Mapping[NormalizedName, SpecifierSet] = MappingProxyType({})
    constraint_urls: Mapping[NormalizedName, str] = MappingProxyType({})
    pre: bool = False
    installed: Mapping[NormalizedName, Candidate] = MappingProxyType({})
    upgrade: frozenset[NormalizedName] = frozenset()  # projects that may move off what is installed
    upgrade_all: bool = False  # --upgrade-strategy eager
    reinstall: frozenset[NormalizedName] = frozenset()  # --force-reinstall: never keep installed
    no_deps: bool = False  # --no-deps: only what was asked for
    # A lock's pins (cove lock without --upgrade): tried before any other version of the index.
    preferred: Mapping[NormalizedName, Version] = MappingProxyType({})


class Provider(AbstractProvider):  # type: ignore[type-arg]
    """resolvelib's view of the packages. What it hands out is canonical for one resolution (one
    Candidate object per project version, one list of dependencies per candidate), so answers
    kept by object stay few, and equal things are the same object.

    ``root`` are the user's own requirements: they hold in every solution, and so do the
    requirements of a candidate that is the only choice for one of them (``root_for``). The dead
    ends these imply (see ``dead_ends``) are pruned before resolvelib tries them. Only the
    user's own may pin a yanked version (PEP 592, as uv: a dependency's ``==`` is not the
    user's choice)."""

    def __init__(self, source: PackageSource, policy: Policy, root: Sequence[Need] = ()) -> None:
        from cove.resolve.dead_ends import DeadEnds

        self.source = source
        self.policy = policy
        self.root = tuple(root)
        self._root_by_name: dict[NormalizedName, list[Need]] = {}
        for need in self.root:
            self._root_by_name.setdefault(need.name, []).append(need)
        self._implied: dict[int, tuple[Need, Any]] | None = None  # id(need) -> (root need, only)
        self._conflicts: dict[str, int] = {}
        self._last_conflict: tuple[list[Any], set[str]] = ([], set())
        self._order = {key: n for n, key in enumerate(dict.fromkeys(n.key for n in self.root))}
        self._yank_pins = _exact_pins(self.root, policy.constraints)
        # who asked for what, as resolvelib saw it: identifier -> (requirement, parent or None)
        self.asked: dict[str, list[tuple[Need, Any]]] = {}
        for need in self.root:
            self.asked.setdefault(need.key, []).append((need, None))
        self._recorded: set[Any] = set()
        self._listings: dict[NormalizedName, tuple[Candidate, ...]] = {}
        self._direct: dict[tuple[NormalizedName, str], Candidate] = {}
        self._metadata: dict[Candidate, CandidateMetadata] = {}
        self._dependencies: dict[Any, list[Need]] = {}
        self._with_extras: dict[tuple[Candidate, frozenset[str]], ExtrasCandidate] = {}
        self._satisfied: dict[tuple[int, int], tuple[Need, Any, bool]] = {}
        self._checks = _SpecifierChecks()
        self.dead_ends = DeadEnds(self)
        self._pruning = False  # set at the first conflict

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

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Any],
        candidates: Mapping[str, Iterator[Any]],
        information: Mapping[str, Iterator[RequirementInformation[Need, Any]]],
        backtrack_causes: Sequence[RequirementInformation[Need, Any]],
    ) -> Iterable[str]:
        """Python first (one candidate, free to check), then the projects of the conflict that
        made the resolver step back: nothing else can be settled before they are, and choosing
        elsewhere meanwhile multiplies the combinations to undo (resolvelib >= 1.1 asks this
        once per round; ``get_preference`` gives older ones the same order)."""
        names = list(identifiers)
        if PYTHON in names:
            return [PYTHON]
        causes = self._conflict(backtrack_causes, resolutions)
        return [n for n in names if n in causes] or names

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Any],
        candidates: Mapping[str, Iterator[Any]],
        information: Mapping[str, Iterator[RequirementInformation[Need, Any]]],
        backtrack_causes: Sequence[RequirementInformation[Need, Any]],
    ) -> tuple[bool, bool, bool, bool, bool, bool, int, bool, str]:
        """Settle first what leaves the fewest choices: the last conflict's projects, then
        those that were in several conflicts, then direct references and == pins (one
        candidate), then projects with an upper bound (their newest is the likeliest to be
        undone later), then what the user asked for in their order, then any bounded before
        the unbounded, then by name so runs repeat."""
        causes = self._conflict(backtrack_causes, resolutions)
        needs = [info.requirement for info in information[identifier]]
        direct = any(n.url or n.pinned for n in needs)
        pinned = upper = bounded = False
        for n in needs:
            for s in n.specifier:
                exact = s.operator in ("==", "===") and not s.version.endswith("*")
                pinned = pinned or exact
                upper = upper or (s.operator in ("<", "<=", "~=", "==") and not exact)
                bounded = True
        return (
            identifier != PYTHON,
            identifier not in causes,
            self._conflicts.get(identifier, 0) < RECURRING,
            not direct,
            not pinned,
            not upper,
            self._order.get(identifier, len(self._order)),
            not bounded,
            identifier,
        )

    def _conflict(
        self, causes: Sequence[RequirementInformation[Need, Any]], pinned: Mapping[str, Any]
    ) -> set[str]:
        """The identifiers of the last conflict (each requirement's and its parent's). A new
        conflict also counts once for each of them not pinned: a project in ``RECURRING`` of
        them is then settled early, so its requirements narrow the others before those pick a
        version (this count is the resolver's only memory of past conflicts)."""
        last, found = self._last_conflict
        if len(last) == len(causes) and all(a is b for a, b in zip(last, causes, strict=True)):
            return found
        found = {info.requirement.key for info in causes}
        found.update(self.identify(info.parent) for info in causes if info.parent is not None)
        self._last_conflict = (list(causes), found)
        for key in found:
            if key not in pinned:
                self._conflicts[key] = self._conflicts.get(key, 0) + 1
        return found

    def most_conflicted(self, count: int) -> list[str]:
        """The identifiers in the most conflicts so far, most first (for a resolver that gave
        up: pinning one of them is the likeliest help)."""
        ranked = sorted(self._conflicts.items(), key=lambda item: (-item[1], item[0]))
        return [key for key, _ in ranked[:count] if key != PYTHON]

    # -- candidates ---------------------------------------------------------------------------

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Need]],
        incompatibilities: Mapping[str, Iterator[Any]],
    ) -> Any:
        """A factory, so candidates are judged one by one as resolvelib asks for them (it keeps
        what it has seen): judging one may read its metadata, and most are never asked for.

        Dead ends are left out from the first conflict on (a requirement that no candidate
        meets, or resolvelib backtracking): until then nothing is undone, and looking ahead
        would only fetch in a worse order (a depth-first walk, 20% slower cold)."""
        needs = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        if bad:
            self._pruning = True  # resolvelib is backtracking
        if identifier == PYTHON:
            py = PythonCandidate(self.policy.python_version)
            ok = all(n.specifier.contains(py.version, prereleases=True) for n in needs)
            self._pruning = self._pruning or not ok
            return [py] if ok and py not in bad else []

        # resolvelib may ask with no requirement left (their parents were un-pinned): the
        # identifier alone says which project and extras.
        name, _, extras = identifier.partition("[")
        wanted = frozenset(extras.rstrip("]").split(",")) if extras else frozenset()

        def matches() -> Iterator[Any]:
            found = False
            for item in self._matching(NormalizedName(name), needs, wanted):
                if item in bad or (self._pruning and self.dead_ends.blocker(item) is not None):
                    continue
                found = True
                yield item
            if not found:
                self._pruning = True  # a conflict: resolvelib is about to backtrack

        return matches

    def options(self, need: Need) -> Iterator[Any] | None:
        """Every candidate that could meet ``need`` in some solution, preferred first: those the
        constraints and the requirements every solution meets (``root_for``) allow, pre-releases
        included (a narrower specifier elsewhere could admit them). None when that is unknown
        without building (a direct reference)."""
        if need.name == PYTHON:
            py = PythonCandidate(self.policy.python_version)
            return iter([py] if self._checks.contains(need.specifier, py.version) else [])
        root = self.root_for(need.name)
        if need.url or any(n.url for n in root) or need.name in self.policy.constraint_urls:
            return None
        return self._matching(need.name, [need, *root], need.extras, everything=True)

    def root_for(self, name: NormalizedName) -> list[Need]:
        """The requirements on ``name`` that every solution meets: the user's own, and those of
        a candidate that is the only choice for one of them (transitively). Worked out once,
        before the first dead end is looked for: a dead end found with fewer would stay."""
        if self._implied is None:
            self._implied = {}
            self._imply(self._implied)
        return self._root_by_name.get(name, [])

    def implied_by(self, need: Need) -> tuple[Need, Any] | None:
        """For a requirement ``root_for`` added: the requirement whose only choice has it, and
        that choice."""
        return None if self._implied is None else self._implied.get(id(need))

    def _imply(self, implied: dict[int, tuple[Need, Any]]) -> None:
        """A project kept installed is left out: counting its choices would read its index page,
        which resolution otherwise never needs."""
        seen = {_content(n) for n in self.root}
        queue = list(self._root_by_name)
        while queue:
            name = queue.pop(0)
            needs = self._root_by_name[name]
            if (
                name == PYTHON
                or any(n.url for n in needs)
                or name in self.policy.constraint_urls
                or (not self.wanted_from_index([name]) and name in self.policy.installed)
            ):
                continue
            for key in {n.key: n for n in needs}.values():
                options = self._matching(name, needs, key.extras, everything=True)
                found = list(itertools.islice(options, 2))
                if len(found) != 1:
                    continue
                for dependency in self.dependencies(found[0]):
                    content = _content(dependency)
                    if content not in seen:
                        seen.add(content)
                        self._root_by_name.setdefault(dependency.name, []).append(dependency)
                        implied[id(dependency)] = (key, found[0])
                        queue.append(dependency.name)

    def listing(self, name: NormalizedName) -> tuple[Candidate, ...]:
        """The source's candidates of ``name``, read once per resolution."""
        found = self._listings.get(name)
        if found is None:
            found = self._listings[name] = tuple(self.source.candidates(name))
        return found

    def yank_allowed(self, candidate: Candidate) -> bool:
        """A yanked version may be used only if one of the user's own requirements or
        constraints pins it with == or ===."""
        pins = self._yank_pins.get(candidate.name, ())
        return any(s.contains(candidate.version, prereleases=True) for s in pins)

    def _matching(
        self,
        name: NormalizedName,
        needs: list[Need],
        extras: frozenset[str],
        everything: bool = False,
    ) -> Iterator[Any]:
        for c in self._base_candidates(name, needs, everything):
            if all(self._satisfies(n, c) for n in needs):
                yield self._extras_candidate(c, extras) if extras else c

    def _extras_candidate(self, base: Candidate, extras: frozenset[str]) -> ExtrasCandidate:
        key = (base, extras)
        found = self._with_extras.get(key)
        if found is None:
            found = self._with_extras[key] = ExtrasCandidate(base, extras)
        return found

    def _base_candidates(
        self, name: NormalizedName, needs: list[Need], everything: bool
    ) -> Iterator[Candidate]:
        pinned = next((n.pinned for n in needs if n.pinned is not None), None)
        if pinned is not None:
            yield pinned
            return
        url = next((n.url for n in needs if n.url), None) or self.policy.constraint_urls.get(name)
        if url is not None:
            yield self._direct_candidate(name, url, needs)
            return
        spec = SpecifierSet()
        for n in needs:
            spec &= n.specifier
        spec &= self.policy.constraints.get(name, SpecifierSet())
        pre = True if everything else (self.policy.pre or None)

        def from_index() -> list[Candidate]:
            found = applicable(self.listing(name), spec, pre is True, self.yank_allowed)
            pin = self.policy.preferred.get(name)
            if pin is None:
                return found
            return sorted(found, key=lambda c: c.version != pin)  # stable: the rest keep order

        installed = self.policy.installed.get(name)
        if (
            installed is None
            or name in self.policy.reinstall
            or not spec.contains(installed.version, prereleases=True)
        ):
            yield from from_index()
        elif self.policy.upgrade_all or name in self.policy.upgrade:
            # Upgrading: the newest wins, but an installed copy of that very version is kept.
            ordered = from_index()
            if not ordered or ordered[0].version == installed.version:
                yield installed
                yield from (c for c in ordered if c.version != installed.version)
            else:
                yield from ordered
                yield installed
        else:
            # The index is consulted only if the installed version is rejected (backtracking).
            yield installed
            yield from (c for c in from_index() if c.version != installed.version)

    def _direct_candidate(self, name: NormalizedName, url: str, needs: list[Need]) -> Candidate:
        key = (name, url)
        found = self._direct.get(key)
        if found is None:
            req = next((n.requirement for n in needs if n.url == url), None)
            found = self.source.direct(req or Requirement(f"{name} @ {url}"))
            self._direct[key] = found
        return found

    def admits(self, specifier: SpecifierSet, version: Version) -> bool:
        """``version`` is in ``specifier`` (pre-releases included), answered from a cache."""
        return self._checks.contains(specifier, version)

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
        needs = self.dependencies(candidate)
        if candidate not in self._recorded:
            self._recorded.add(candidate)
            for need in needs:
                self.asked.setdefault(need.key, []).append((need, candidate))
        return list(needs)

    def dependencies(self, candidate: Any) -> list[Need]:
        """What ``candidate`` requires, worked out once (the same Need objects every time)."""
        found = self._dependencies.get(candidate)
        if found is None:
            found = self._dependencies[candidate] = self._read_dependencies(candidate)
        return found

    def metadata(self, candidate: Candidate) -> CandidateMetadata:
        found = self._metadata.get(candidate)
        if found is None:
            found = self._metadata[candidate] = self.source.metadata(candidate)
        return found

    def _read_dependencies(self, candidate: Any) -> list[Need]:
        if isinstance(candidate, PythonCandidate):
            return []
        if isinstance(candidate, ExtrasCandidate):
            meta = self.metadata(candidate.base)
            needs = [Need(candidate.base.name, pinned=candidate.base)]
            for extra in sorted(candidate.extras) if not self.policy.no_deps else ():
                needs += self._needs(meta.requires_dist, extra)
        else:
            meta = self.metadata(candidate)
            needs = []
            if meta.requires_python is not None and not candidate.installed:
                needs.append(Need(NormalizedName(PYTHON), specifier=meta.requires_python))
            if not self.policy.no_deps:
                needs += self._needs(meta.requires_dist, "")
        # Every page these needs lead to, asked for at once: the resolver then reads them one
        # by one, and each would otherwise cost a round trip of its own.
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


def _content(need: Need) -> tuple[object, ...]:
    return (need.key, str(need.specifier), need.url, need.pinned)


def _exact_pins(
    root: Iterable[Need], constraints: Mapping[NormalizedName, SpecifierSet]
) -> dict[NormalizedName, list[Specifier]]:
    """The == and === specifiers (no wildcard) of the user's requirements and constraints."""
    found: dict[NormalizedName, list[Specifier]] = {}
    sets = [(n.name, n.specifier) for n in root] + list(constraints.items())
    for name, spec in sets:
        for s in spec:
            if s.operator in ("==", "===") and not s.version.endswith("*"):
                found.setdefault(name, []).append(s)
    return found


def _mentions_extra(req: Requirement) -> bool:
    return "extra" in str(req.marker)
