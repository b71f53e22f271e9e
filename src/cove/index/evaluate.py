"""Which of a project's links a target can use, and in what order, as pip decides: wheel tags,
Requires-Python, --only-binary/--no-binary, the requested versions and pre-releases, --hash,
PEP 592 yanked files, then wheels before sdists, the most specific tag, the highest build."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.index.models import Link

ALL = ":all:"
NONE = ":none:"
# What hash-checking mode accepts from an index for a file (pip's strong hashes): a link with
# none of them cannot be checked before it is downloaded, and is refused.
STRONG_HASHES = ("sha256", "sha384", "sha512")


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


class Reason(StrEnum):
    """Why a link was not offered."""

    WRONG_PROJECT = "wrong-project"
    NO_BINARY = "no-binary"  # a wheel, refused by --no-binary
    ONLY_BINARY = "only-binary"  # an sdist, refused by --only-binary
    UNSUPPORTED_TAGS = "unsupported-tags"
    REQUIRES_PYTHON = "requires-python"
    NO_USABLE_HASH = "no-usable-hash"  # hash-checking mode, and no strong hash to check first


class Rejection(NamedTuple):
    """A link left out and why; ``detail`` is the Requires-Python that excludes it."""

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
            case Reason.NO_USABLE_HASH:
                return _no_usable_hash(self.detail)
            case _:  # Reason.REQUIRES_PYTHON
                return f"{what} requires Python {self.detail}"


class Release(NamedTuple):
    """One version of a project as the indexes offer it to a target: its usable files, best
    first (the first is what gets installed).

    ``yanked`` is set (to the reason, "" when none) when every file kept is yanked:
    ``applicable`` keeps such a version only for a ==/=== pin (PEP 592), and the caller should
    warn.
    """

    version: Version
    links: tuple[Link, ...]
    yanked: str | None = None

    @property
    def link(self) -> Link:
        return self.links[0]


# (prefer-binary wheel, version, tag priority, build tag): larger is better.
SortKey = tuple[int, Version, int, tuple[int, str] | tuple[()]]


class Judged(NamedTuple):
    """A project's links judged for one target, before any requirement is looked at: what the
    target can use (with a sort key each) and what it cannot. Cache it per project page."""

    project: NormalizedName
    usable: tuple[tuple[Link, SortKey], ...]
    rejected: tuple[Rejection, ...]
    target: str  # the target in a few words: "cp312, manylinux_2_36_x86_64"

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
        match reason:
            case Reason.UNSUPPORTED_TAGS:
                return f"no wheel of {p} for your platform ({self.target})"
            case Reason.NO_BINARY:
                return f"wheels of {p} are refused by --no-binary"
            case Reason.ONLY_BINARY:
                return f"sources of {p} are refused by --only-binary"
            case Reason.NO_USABLE_HASH:
                return _no_usable_hash(detail)
            case _:  # Reason.REQUIRES_PYTHON
                return f"{p} {vs} require{'s' if len(newest) == 1 else ''} Python {detail}"


class RankedTags(NamedTuple):
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
    hash_checking: bool = False,
) -> Judged:
    """Keep the links of ``project`` whose format the policy allows, whose wheel tags the
    target supports and whose Requires-Python admits its Python (an invalid one is ignored);
    in ``hash_checking`` mode, only remote files the index gives a strong hash for (pip
    downloads the others and checks them after; cove refuses them before any download)."""
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
        if hash_checking and _unchecked(link):
            weak = ", ".join(sorted(link.hashes))
            because = f"only {weak}" if weak else "no hash"
            rejected.append(Rejection(link, Reason.NO_USABLE_HASH, f"{link.filename}: {because}"))
            continue
        usable.append((link, key))
    return Judged(name, tuple(usable), tuple(rejected), ranked.description)


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
    matched: set[int] = set()
    if allowed:
        matched = {n for n, (link, _key) in enumerate(items) if _hash_allowed(link, allowed)}
    per_version: dict[Version, list[int]] = {}
    for n, (link, _key) in enumerate(items):
        if matched and n not in matched and link.hashes:
            continue
        per_version.setdefault(link.version, []).append(n)
    # Versions are compared once each and files by their version's place: packaging compares
    # in Python, and sorting by the keys themselves compared versions about 15 times a file.
    place = {version: i for i, version in enumerate(sorted(per_version))}
    keep: dict[int, int] = {}  # file -> its version's place
    for version, positions in per_version.items():
        good = [n for n in positions if items[n][0].yanked is None]
        keep.update(dict.fromkeys(good or positions, place[version]))

    def order(n: int) -> tuple[bool, tuple[int, int, int, tuple[int, str] | tuple[()]], int]:
        flag, _version, tag, build = items[n][1]
        return n in matched, (flag, keep[n], tag, build), n

    by_version: dict[int, list[Link]] = {}
    for n in sorted(keep, key=order, reverse=True):
        by_version.setdefault(keep[n], []).append(items[n][0])
    return tuple(
        Release(files[0].version, tuple(files), files[0].yanked) for files in by_version.values()
    )


class Offered(Protocol):
    """A release as the resolver is offered it (an index Release, or a candidate of one)."""

    @property
    def version(self) -> Version: ...

    @property
    def yanked(self) -> str | None: ...


_Offered = TypeVar("_Offered", bound=Offered)


def applicable(
    offered: Sequence[_Offered],
    specifier: SpecifierSet,
    pre: bool = False,
    yank_allowed: Callable[[_Offered], bool] | None = None,
) -> list[_Offered]:
    """Those of ``offered`` (preferred first) that ``specifier`` asks for, as pip selects them:
    pre-releases with ``pre``, when the specifier names one, or when no final release matches
    (PEP 440); a release whose files are all yanked only where ``yank_allowed`` says so (by
    default, PEP 592's rule: a ==/=== pin in ``specifier``; the resolver allows only the
    user's own pins). With ``all_versions`` this is the one path from an index's files to the
    candidates of a requirement."""
    allowed = set(specifier.filter({o.version for o in offered}, prereleases=pre or None))
    if yank_allowed is None:
        exact = {
            Version(s.version)
            for s in specifier
            if s.operator in ("==", "===") and "*" not in s.version
        }

        def yank_allowed(o: _Offered) -> bool:
            return o.version in exact

    return [o for o in offered if o.version in allowed and (o.yanked is None or yank_allowed(o))]


def describe_target(tags: Sequence[Tag]) -> str:
    """The ABI and most specific platform of a target, for messages: cp312, manylinux_2_36_x86_64
    (the generic linux_<arch> only when nothing more specific is supported)."""
    if not tags:
        return "no supported tags"
    platforms = [t.platform for t in tags if t.platform != "any"]
    specific = [p for p in platforms if not p.startswith("linux_")]
    platform = (specific or platforms or ["any"])[0]
    return f"{tags[0].abi}, {platform}"


def _unchecked(link: Link) -> bool:
    """A remote file the index gives no strong hash for: it cannot be checked before it is
    downloaded (a local file is read, not downloaded, and checked before use)."""
    return not link.url.startswith("file:") and not any(a in link.hashes for a in STRONG_HASHES)


def _no_usable_hash(detail: str) -> str:
    """``detail`` is "FILE: only md5" or "FILE: no hash"."""
    filename, _, because = detail.partition(": ")
    return (
        f"{filename} is refused: the index gives {because} for it, and hash-checking mode "
        f"needs one of {', '.join(STRONG_HASHES)} to check a file before downloading it"
    )


def _admits(requires_python: str, python: Version) -> bool:
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # as pip: a Requires-Python that does not parse is ignored


def _hash_allowed(link: Link, allowed: Mapping[str, set[str]]) -> bool:
    return any(digest in allowed.get(algo, ()) for algo, digest in link.hashes.items())
