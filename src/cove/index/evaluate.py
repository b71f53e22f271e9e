"""Which of a project's links a target can use, and in what order, as pip decides: wheel tags,
Requires-Python, --only-binary/--no-binary, the requested versions and pre-releases, --hash,
PEP 592 yanked files, then wheels before sdists, the most specific tag, the highest build."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.index.models import Link

ALL = ":all:"
NONE = ":none:"


def _apply_names(
    value: str, target: frozenset[str], other: frozenset[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """One occurrence of a pair of opposite options (pip's --no-binary/--only-binary rules):
    names join ``target`` and leave ``other``; :all: takes everything; :none: empties target."""
    into, out = set(target), set(other)
    for item in (v.strip() for v in value.split(",")):
        if item == ALL:
            into, out = {ALL}, set()
        elif item == NONE:
            into.clear()
        elif item:
            name = canonicalize_name(item)
            into.add(name)
            out.discard(name)
    return frozenset(into), frozenset(out)


def _normalized(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n if n == ALL else canonicalize_name(n) for n in names)


@dataclass(frozen=True, slots=True)
class BinaryPolicy:
    """--only-binary / --no-binary (normalized names, or :all:) and --prefer-binary."""

    only_binary: frozenset[str] = frozenset()
    no_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "only_binary", _normalized(self.only_binary))
        object.__setattr__(self, "no_binary", _normalized(self.no_binary))

    def with_only_binary(self, value: str) -> BinaryPolicy:
        """The policy after one ``--only-binary VALUE`` (comma-separated), given in order."""
        only, no = _apply_names(value, self.only_binary, self.no_binary)
        return replace(self, only_binary=only, no_binary=no)

    def with_no_binary(self, value: str) -> BinaryPolicy:
        """The policy after one ``--no-binary VALUE`` (comma-separated), given in order."""
        no, only = _apply_names(value, self.no_binary, self.only_binary)
        return replace(self, only_binary=only, no_binary=no)

    def wheels_allowed(self, name: str) -> bool:
        return self._verdict(canonicalize_name(name)) != "source-only"

    def sdists_allowed(self, name: str) -> bool:
        return self._verdict(canonicalize_name(name)) != "binary-only"

    def _verdict(self, name: NormalizedName) -> str:
        # A name given explicitly outranks :all: in the other option.
        if name in self.only_binary:
            return "binary-only"
        if name in self.no_binary:
            return "source-only"
        if ALL in self.only_binary:
            return "binary-only"
        if ALL in self.no_binary:
            return "source-only"
        return "both"


@dataclass(frozen=True, slots=True)
class ReleasePolicy:
    """Which projects may resolve to pre-releases: --pre (all), or per project as pip's
    --all-releases / --only-final, with the same rules as the binary options."""

    all_releases: frozenset[str] = frozenset()
    only_final: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "all_releases", _normalized(self.all_releases))
        object.__setattr__(self, "only_final", _normalized(self.only_final))

    def with_all_releases(self, value: str) -> ReleasePolicy:
        all_, final = _apply_names(value, self.all_releases, self.only_final)
        return ReleasePolicy(all_, final)

    def with_only_final(self, value: str) -> ReleasePolicy:
        final, all_ = _apply_names(value, self.only_final, self.all_releases)
        return ReleasePolicy(all_, final)

    def prereleases(self, name: str) -> bool | None:
        """True: allowed; False: never; None: only if the specifier names one, or if nothing
        but pre-releases match (PEP 440's rule)."""
        name = canonicalize_name(name)
        if name in self.all_releases:
            return True
        if name in self.only_final:
            return False
        if ALL in self.all_releases:
            return True
        if ALL in self.only_final:
            return False
        return None


class Reason(StrEnum):
    """Why a link was not offered."""

    WRONG_PROJECT = "wrong-project"
    NO_BINARY = "no-binary"  # a wheel, refused by --no-binary
    ONLY_BINARY = "only-binary"  # an sdist, refused by --only-binary
    UNSUPPORTED_TAGS = "unsupported-tags"
    REQUIRES_PYTHON = "requires-python"
    SPECIFIER = "specifier"  # not a requested version
    PRERELEASE = "prerelease"
    HASH = "hash"  # another file matches the --hash given; this one does not
    YANKED = "yanked"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A link left out and why; ``detail`` is the Requires-Python, specifier or yank reason."""

    link: Link
    reason: Reason
    detail: str = ""

    def __str__(self) -> str:
        link = self.link
        what = f"{link.project} {link.version}"
        match self.reason:
            case Reason.WRONG_PROJECT:
                return f"{link.filename} is not a file of this project"
            case Reason.NO_BINARY:
                return f"{link.filename}: wheels of {link.project} are refused by --no-binary"
            case Reason.ONLY_BINARY:
                return f"{link.filename}: sources of {link.project} are refused by --only-binary"
            case Reason.UNSUPPORTED_TAGS:
                built_for = "-".join(link.filename[:-4].split("-")[-3:])
                return f"{link.filename} is built for {built_for}, not this interpreter"
            case Reason.REQUIRES_PYTHON:
                return f"{what} requires Python {self.detail}"
            case Reason.SPECIFIER:
                return f"{what} does not match {self.detail}"
            case Reason.PRERELEASE:
                return f"{what} is a pre-release (allow it with --pre)"
            case Reason.HASH:
                return f"{link.filename} does not match the hashes given"
            case Reason.YANKED:
                because = f" ({self.detail})" if self.detail else ""
                return f"{what} is yanked{because}; pin it with == to use it anyway"


@dataclass(frozen=True, slots=True)
class Release:
    """One version of a project as the indexes offer it to a target: its usable files, best
    first (the first is what gets installed).

    ``yanked`` is set (to the reason, "" when none) when every file kept is yanked: ``select``
    keeps such a version only for a ==/=== pin that nothing else satisfies (PEP 592), and the
    caller should warn; ``all_versions`` flags it and leaves the decision to the resolver.
    """

    version: Version
    links: tuple[Link, ...]
    yanked: str | None = None

    @property
    def link(self) -> Link:
        return self.links[0]


# (prefer-binary wheel, version, tag priority, build tag): larger is better.
SortKey = tuple[int, Version, int, tuple[int, str] | tuple[()]]


@dataclass(frozen=True, slots=True)
class Judged:
    """A project's links judged for one target, before any requirement is looked at: what the
    target can use (with a sort key each) and what it cannot. Cache it per project page."""

    project: NormalizedName
    usable: tuple[tuple[Link, SortKey], ...]
    rejected: tuple[Rejection, ...]
    target: str  # the target in a few words: "cp312, manylinux_2_36_x86_64"

    def reasons(self) -> list[str]:
        """Why links were left out, as ``Evaluation.reasons`` says it."""
        return Evaluation(self.project, (), self.rejected, self.target).reasons()


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The installable versions of a project, preferred first, and every link left out."""

    project: NormalizedName
    candidates: tuple[Release, ...]
    rejected: tuple[Rejection, ...]
    target: str

    @property
    def best(self) -> Release | None:
        return self.candidates[0] if self.candidates else None

    def reasons(self) -> list[str]:
        """Why links were left out, one line per cause (versions grouped, newest first), for an
        error that says what to change."""
        groups: dict[tuple[Reason, str], set[Version]] = {}
        for r in self.rejected:
            if r.reason is not Reason.WRONG_PROJECT:
                groups.setdefault((r.reason, r.detail), set()).add(r.link.version)
        return [
            self._line(reason, detail, versions) for (reason, detail), versions in groups.items()
        ]

    def _line(self, reason: Reason, detail: str, versions: set[Version]) -> str:
        p = self.project
        newest = sorted(versions, reverse=True)
        vs = ", ".join(map(str, newest[:5])) + (
            f" and {len(newest) - 5} more" if len(newest) > 5 else ""
        )
        one = len(newest) == 1
        match reason:
            case Reason.UNSUPPORTED_TAGS:
                return f"no wheel of {p} for your platform ({self.target})"
            case Reason.NO_BINARY:
                return f"wheels of {p} are refused by --no-binary"
            case Reason.ONLY_BINARY:
                return f"sources of {p} are refused by --only-binary"
            case Reason.REQUIRES_PYTHON:
                return f"{p} {vs} require{'s' if one else ''} Python {detail}"
            case Reason.SPECIFIER:
                return f"{p} {vs} {'does' if one else 'do'} not match {detail}"
            case Reason.PRERELEASE:
                what = "is a pre-release" if one else "are pre-releases"
                return f"{p} {vs} {what} (allow with --pre)"
            case Reason.HASH:
                return f"files of {p} {vs} do not match the hashes given"
            case _:  # Reason.YANKED
                because = f" ({detail})" if detail else ""
                return (
                    f"{p} {vs} {'is' if one else 'are'} yanked{because}; pin with == to use anyway"
                )


@dataclass(frozen=True, slots=True)
class SelectionOptions:
    """What the requirement and the options ask of one project."""

    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    prereleases: bool | None = None  # see ReleasePolicy.prereleases
    binary: BinaryPolicy = field(default_factory=BinaryPolicy)
    # --hash values: hashlib name -> allowed hex digests (hash-checking mode), else None.
    hashes: Mapping[str, Collection[str]] | None = field(default=None, hash=False)


def evaluate(
    links: Iterable[Link],
    project: str,
    *,
    tags: Sequence[Tag],
    python_version: tuple[int, int, int],
    options: SelectionOptions | None = None,
) -> Evaluation:
    """Judge ``links`` for the target (its ``tags`` in priority order and full Python version),
    then select and rank them for ``options``: ``judge_links`` then ``select``."""
    options = options or SelectionOptions()
    judged = judge_links(
        links, project, tags=tags, python_version=python_version, binary=options.binary
    )
    return select(
        judged,
        specifier=options.specifier,
        prereleases=options.prereleases,
        hashes=options.hashes,
    )


@dataclass(frozen=True, slots=True)
class RankedTags:
    """A target's wheel tags ranked (the first is best) and described, worked out once and
    reused for every project page: ranking a few hundred tags per page showed in profiles."""

    ranks: Mapping[Tag, int]
    description: str

    @classmethod
    def of(cls, tags: Sequence[Tag]) -> RankedTags:
        ranks: dict[Tag, int] = {}
        for i, tag in enumerate(tags):
            ranks.setdefault(tag, i)
        return cls(ranks, describe_target(tags))


def judge_links(
    links: Iterable[Link],
    project: str,
    *,
    tags: Sequence[Tag] | RankedTags,
    python_version: tuple[int, int, int],
    binary: BinaryPolicy | None = None,
) -> Judged:
    """Keep the links of ``project`` whose format the policy allows, whose wheel tags the
    target supports and whose Requires-Python admits its Python (an invalid one is ignored)."""
    name = canonicalize_name(project)
    binary = binary or BinaryPolicy()
    wheels_ok, sdists_ok = binary.wheels_allowed(name), binary.sdists_allowed(name)
    ranked = tags if isinstance(tags, RankedTags) else RankedTags.of(tags)
    priority = ranked.ranks
    rank_of = priority.get
    python = Version(".".join(map(str, python_version[:3])))
    fits_python: dict[str, bool] = {}
    usable: list[tuple[Link, SortKey]] = []
    rejected: list[Rejection] = []
    for link in links:
        if link.project != name:
            rejected.append(Rejection(link, Reason.WRONG_PROJECT))
            continue
        if link.tags is not None:
            if not wheels_ok:
                rejected.append(Rejection(link, Reason.NO_BINARY))
                continue
            found = [r for t in link.tags if (r := rank_of(t)) is not None]  # one hash a tag
            best = min(found) if found else None
            if best is None:
                rejected.append(Rejection(link, Reason.UNSUPPORTED_TAGS))
                continue
            # A wheel's tag priority beats any sdist's; the first tag in the list is best.
            key: SortKey = (int(binary.prefer_binary), link.version, -best, link.build)
        else:
            if not sdists_ok:
                rejected.append(Rejection(link, Reason.ONLY_BINARY))
                continue
            key = (0, link.version, -len(priority) - 1, ())
        spec = link.requires_python
        if spec is not None:
            if spec not in fits_python:
                fits_python[spec] = _admits(spec, python)
            if not fits_python[spec]:
                rejected.append(Rejection(link, Reason.REQUIRES_PYTHON, spec))
                continue
        usable.append((link, key))
    return Judged(name, tuple(usable), tuple(rejected), ranked.description)


def select(
    judged: Judged,
    *,
    specifier: SpecifierSet | None = None,
    prereleases: bool | None = None,
    hashes: Mapping[str, Collection[str]] | None = None,
) -> Evaluation:
    """The usable versions that ``specifier`` asks for, preferred first.

    Pre-releases: allowed when ``prereleases`` is True, never when False; when None, only if
    the specifier names one (``>=2.0b1``) or if no final release matches. Yanked files are left
    out unless everything that matches is yanked and the specifier pins a version with ==
    (without ``.*``) or ===. With ``hashes``, the files matching them come first, and files
    with a different index hash are dropped if any file matches.
    """
    specifier = specifier if specifier is not None else SpecifierSet()
    rejected = list(judged.rejected)
    # Work on positions in judged.usable: links compare by value, which is slow on big pages.
    items = judged.usable
    keep: list[int] = []
    for n, (link, _key) in enumerate(items):
        if specifier.contains(link.version, prereleases=True):
            keep.append(n)
        else:
            rejected.append(Rejection(link, Reason.SPECIFIER, str(specifier)))

    if prereleases is None and specifier.prereleases is True:
        prereleases = True  # the specifier names a pre-release
    if not prereleases:
        finals = [n for n in keep if not items[n][0].version.is_prerelease]
        if finals or prereleases is False:
            final_set = set(finals)
            rejected += [
                Rejection(items[n][0], Reason.PRERELEASE) for n in keep if n not in final_set
            ]
            keep = finals

    allowed = {k.lower(): {d.lower() for d in v} for k, v in (hashes or {}).items()}
    matched = {n for n in keep if _hash_allowed(items[n][0], allowed)}
    if matched:
        # Files without an index hash stay (their hash is checked after download).
        dropped = [n for n in keep if n not in matched and items[n][0].hashes]
        rejected += [Rejection(items[n][0], Reason.HASH) for n in dropped]
        keep = [n for n in keep if n not in set(dropped)]

    pinned = any(
        s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
        for s in specifier
    )
    if not (pinned and all(items[n][0].yanked is not None for n in keep)):
        for n in keep:
            link = items[n][0]
            if link.yanked is not None:
                rejected.append(Rejection(link, Reason.YANKED, link.yanked))
        keep = [n for n in keep if items[n][0].yanked is None]

    # pip sorts ascending and walks the list backwards, so among equal keys the later link wins.
    keep.sort(key=lambda n: (n in matched, items[n][1], n), reverse=True)
    by_version: dict[Version, list[Link]] = {}
    for n in keep:
        link = items[n][0]
        by_version.setdefault(link.version, []).append(link)
    candidates = tuple(
        Release(version, tuple(files), files[0].yanked) for version, files in by_version.items()
    )
    return Evaluation(judged.project, candidates, tuple(rejected), judged.target)


def all_versions(judged: Judged, hashes: Collection[str] = ()) -> tuple[Release, ...]:
    """Every version the target can use, preferred first, before any requirement is applied:
    for a resolver that merges specifiers and applies the pre-release rule itself. A version
    whose files are all yanked is kept, flagged (only a == pin may take it); otherwise its yanked
    files are left out.

    ``hashes`` (``"sha256:<hex>"``, hash-checking mode) keep only the files they allow, as pip
    keeps them: when any file of the project matches, files whose index hash differs are left
    out (and versions left with none), so the best *allowed* file of a version is taken; files
    the index gives no hash for stay and are checked once downloaded."""
    items = judged.usable
    allowed: dict[str, set[str]] = {}
    for spec in hashes:
        algo, _, digest = spec.partition(":")
        allowed.setdefault(algo.lower(), set()).add(digest.lower())
    matched = {n for n, (link, _key) in enumerate(items) if _hash_allowed(link, allowed)}
    per_version: dict[Version, list[int]] = {}
    for n, (link, _key) in enumerate(items):
        if matched and n not in matched and link.hashes:
            continue
        per_version.setdefault(link.version, []).append(n)
    keep: list[int] = []
    for positions in per_version.values():
        good = [n for n in positions if items[n][0].yanked is None]
        keep += good or positions
    keep.sort(key=lambda n: (n in matched, items[n][1], n), reverse=True)
    by_version: dict[Version, list[Link]] = {}
    for n in keep:
        by_version.setdefault(items[n][0].version, []).append(items[n][0])
    return tuple(
        Release(version, tuple(files), files[0].yanked) for version, files in by_version.items()
    )


def describe_target(tags: Sequence[Tag]) -> str:
    """The ABI and most specific platform of a target, for messages: cp312, manylinux_2_36_x86_64
    (the generic linux_<arch> only when nothing more specific is supported)."""
    if not tags:
        return "no supported tags"
    platforms = [t.platform for t in tags if t.platform != "any"]
    specific = [p for p in platforms if not p.startswith("linux_")]
    platform = (specific or platforms or ["any"])[0]
    return f"{tags[0].abi}, {platform}"


def _admits(requires_python: str, python: Version) -> bool:
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # as pip: a Requires-Python that does not parse is ignored


def _hash_allowed(link: Link, allowed: Mapping[str, set[str]]) -> bool:
    return any(digest in allowed.get(algo, ()) for algo, digest in link.hashes.items())
