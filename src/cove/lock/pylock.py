"""PEP 751 lock files (``pylock.toml``) as packaging's ``Pylock`` values.

Reading runs packaging's validation (required keys, types, normalized names, file names that
match the package) and cove's own checks on top: every file has a hash cove can verify, a local
``directory`` (and any ``subdirectory``) stays inside the directory of the lock file, and no two
entries for one name can both apply. Writing gives the same bytes for the same lock: packages
sorted by name, version and marker, wheels by file name, keys in the order PEP 751 lists them.
``select_artifacts`` narrows a lock to the one artifact per package a target environment installs,
and says every package that does not fit before anything is installed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
    PylockValidationError,
)
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from cove.errors import LockError

if TYPE_CHECKING:
    from cove.index.evaluate import RankedTags

LOCK_VERSION = Version("1.0")
# The keys written as inline tables (arrays of them one per line), as PEP 751's example does.
INLINE_KEYS = ("hashes", "dependencies", "vcs", "directory", "archive", "sdist", "wheels")

Artifact = PackageWheel | PackageSdist | PackageVcs | PackageDirectory | PackageArchive

# The tables whose keys PEP 751 fixes, by their place in the file; the others (tool,
# dependencies, attestation-identities) are free-form.
_SCHEMA: dict[str, type[Any]] = {
    "": Pylock,
    "packages": Package,
    "packages.wheels": PackageWheel,
    "packages.sdist": PackageSdist,
    "packages.vcs": PackageVcs,
    "packages.directory": PackageDirectory,
    "packages.archive": PackageArchive,
}
_CONTEXT = re.compile(r"packages\[(\d+)\](?:\.(.+))?")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


@dataclasses.dataclass(frozen=True, slots=True)
class ReadLock:
    """A lock file's value, and what cove noticed in it but accepts (a newer 1.x minor
    version, keys it does not know)."""

    lock: Pylock
    warnings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    """What to install for one package of a lock: the entry and its chosen artifact."""

    package: Package
    artifact: Artifact


def read_lock(path: Path) -> ReadLock:
    """The lock file at ``path``, checked (see ``loads``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LockError(
            f"cannot read the lock file {path}: {exc.strerror}",
            hint="name an existing pylock.toml, or make one with `cove lock`",
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LockError(
            f"{path} is not a TOML file: it is not UTF-8 text (byte {exc.start})",
            hint="name a pylock.toml file (PEP 751), or make one with `cove lock`",
        ) from None
    return loads(text, str(path))


def loads(text: str, source: str) -> ReadLock:
    """The lock ``text`` says, checked; ``source`` (the file's name) is named in every error."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockError(
            f"{source} is not valid TOML: {exc}",
            hint="name a pylock.toml file (PEP 751), or make it again with `cove lock`",
        ) from None
    return from_toml(data, source)


def from_toml(data: Mapping[str, Any], source: str) -> ReadLock:
    """A lock from its parsed TOML document: packaging's validation, then cove's checks."""
    warnings: list[str] = []
    version = _lock_version(data, source)
    if version is not None and version > LOCK_VERSION:
        warnings.append(
            f"{source} has lock-version {version}; cove knows {LOCK_VERSION}, so keys added "
            "since are ignored"
        )
        # packaging logs its own warning for a newer minor version; cove reports it itself.
        data = {**data, "lock-version": str(LOCK_VERSION)}
    try:
        lock = Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise _validation_error(exc, data, source) from None
    if version is not None and version > LOCK_VERSION:
        lock = dataclasses.replace(lock, lock_version=version)
    unknown = sorted(_unknown_keys(data, ""))
    if unknown:
        warnings.append(f"{source}: keys cove does not know are ignored: {', '.join(unknown)}")
    _check(lock, source)
    return ReadLock(lock, tuple(warnings))


def dumps(lock: Pylock) -> str:
    """The TOML text of ``lock``: the same bytes for the same lock, whatever order its packages,
    files, hashes and free-form tables came in. The lock is checked as ``loads`` checks a file,
    so cove never writes one it would refuse to read."""
    from cove.lock.toml import dumps as toml_dumps

    data = normalized(lock).to_dict()
    from_toml(data, "the lock being written")
    return toml_dumps(data, inline=INLINE_KEYS)


def normalized(lock: Pylock) -> Pylock:
    """``lock`` in the order it is written: packages by name, version, then marker; wheels by
    file name; environments, extras and groups sorted; keys of hashes and free-form tables
    sorted (a dependency's ``name`` first)."""

    def strings(values: Sequence[str] | None) -> list[str] | None:
        return None if values is None else sorted(values)

    return dataclasses.replace(
        lock,
        environments=None if lock.environments is None else sorted(lock.environments, key=str),
        extras=None if lock.extras is None else sorted(lock.extras),
        dependency_groups=strings(lock.dependency_groups),
        default_groups=strings(lock.default_groups),
        packages=_sorted_packages(_normalized_package(p) for p in lock.packages),
        tool=None if lock.tool is None else _sorted_table(lock.tool),
    )


def select_artifacts(
    lock: Pylock,
    source: str,
    *,
    markers: Mapping[str, str],
    tags: Sequence[Tag],
    extras: Collection[str] = (),
    groups: Collection[str] | None = None,
) -> list[Choice]:
    """For a target environment (its marker values and wheel tags, best first), the artifact of
    every package that applies, sorted by name, as PEP 751 installs: the lock's requires-python
    and environments must admit the target; a package applies when its marker is true (with
    ``extras`` and the dependency ``groups``, by default the lock's default-groups); it must then
    admit the target's Python; the best wheel by tag priority is taken, else the sdist, else its
    vcs, directory or archive. Every package that does not fit is named in one LockError."""
    from cove.index.evaluate import RankedTags

    lock_environment = _lock_environment(lock, source, markers, extras, groups)
    python = _python_version(markers, source)
    _check_target(lock, source, markers, python)
    misfits = _Misfits()
    applying = _applying(lock, lock_environment, python, misfits)
    choices = _choices(lock, applying, RankedTags.of(tags), misfits)
    if misfits.problems:
        raise LockError(
            f"{source} does not fit this environment ({_describe(markers, python)}):\n"
            + "\n".join(f"  {problem}" for problem in misfits.problems),
            hint="; ".join(misfits.hints.values()),
        )
    return sorted(choices, key=lambda c: c.package.name)


@dataclasses.dataclass(slots=True)
class _Misfits:
    """The packages of a lock that do not fit the target, and one hint per kind of misfit."""

    problems: list[str] = dataclasses.field(default_factory=list)
    hints: dict[str, str] = dataclasses.field(default_factory=dict)

    def add(self, problem: str, kind: str, hint: str) -> None:
        self.problems.append(problem)
        self.hints[kind] = hint


def _lock_environment(
    lock: Pylock,
    source: str,
    markers: Mapping[str, str],
    extras: Collection[str],
    groups: Collection[str] | None,
) -> dict[str, str | frozenset[str]]:
    """The marker environment packages' markers are evaluated in: the target's values, and
    the extras and dependency groups chosen (the lock must declare each)."""
    chosen_extras = _declared(source, "extra", extras, lock.extras or ())
    declared_groups = [*(lock.dependency_groups or ()), *(lock.default_groups or ())]
    chosen_groups = _declared(
        source,
        "dependency group",
        lock.default_groups or () if groups is None else groups,
        declared_groups,
    )
    return {
        **markers,
        "extras": frozenset(chosen_extras),
        "dependency_groups": frozenset(chosen_groups),
    }


def _check_target(lock: Pylock, source: str, markers: Mapping[str, str], python: Version) -> None:
    """Refuse a target the lock's requires-python or environments leave out."""
    if lock.requires_python is not None and not lock.requires_python.contains(
        python, prereleases=True
    ):
        raise LockError(
            f"{source} requires Python {lock.requires_python}; this environment has {python}",
            hint="use an environment whose Python the lock admits (cove create -p VERSION), "
            "or lock again for this one (cove lock)",
        )
    if lock.environments is not None:
        environment = dict(markers)
        if not any(_evaluate(m, environment, source) for m in lock.environments):
            listed = "; ".join(str(m) for m in lock.environments)
            raise LockError(
                f"{source} was locked for other environments ({listed}), not this one "
                f"({_describe(markers, python)})",
                hint="lock again for this environment (cove lock), or install into one of "
                "the environments the lock names",
            )


def _applying(
    lock: Pylock,
    lock_environment: dict[str, str | frozenset[str]],
    python: Version,
    misfits: _Misfits,
) -> dict[NormalizedName, int]:
    """The index in ``lock.packages`` of each package that applies (one entry per name)."""
    applying: dict[NormalizedName, int] = {}
    for i, package in enumerate(lock.packages):
        label = _label(package)
        if package.marker is not None:
            try:
                applies = package.marker.evaluate(lock_environment, "lock_file")
            except (UndefinedComparison, UndefinedEnvironmentName) as exc:
                misfits.add(
                    f"{label}: its marker cannot be evaluated here ({exc})",
                    "marker",
                    "correct the marker, or lock again (cove lock)",
                )
                continue
            if not applies:
                continue
        if package.requires_python is not None and not package.requires_python.contains(
            python, prereleases=True
        ):
            misfits.add(
                f"{label}: requires Python {package.requires_python}, not {python}",
                "python",
                "use an environment with a Python the lock's packages admit",
            )
            continue
        if package.name in applying:
            other = applying[package.name]
            misfits.add(
                f"{label}: packages[{other}] and packages[{i}] both apply to this environment "
                f"(markers {_marker_text(lock.packages[other])} and {_marker_text(package)})",
                "twice",
                "a lock must narrow each package to one entry: lock again",
            )
            continue
        applying[package.name] = i
    return applying


def _choices(
    lock: Pylock, applying: Mapping[NormalizedName, int], ranks: RankedTags, misfits: _Misfits
) -> list[Choice]:
    """The artifact to install of each package that applies."""
    choices = []
    for i in applying.values():
        package = lock.packages[i]
        artifact = _artifact(package, ranks.ranks)
        if artifact is None:
            names = [w.filename for w in package.wheels or ()]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            misfits.add(
                f"{_label(package)}: no wheel for this platform ({ranks.description}) and no "
                f"sdist (the lock has {shown})",
                "wheel",
                "lock again for this platform (cove lock)",
            )
            continue
        choices.append(Choice(package, artifact))
    return choices


# -- reading ---------------------------------------------------------------------------------


def _lock_version(data: Mapping[str, Any], source: str) -> Version | None:
    """The lock-version when it is a version cove reads; None to let packaging report it."""
    raw = data.get("lock-version")
    if not isinstance(raw, str):
        return None
    try:
        version = Version(raw)
    except InvalidVersion:
        return None
    if not Version("1") <= version < Version("2.dev0"):
        raise LockError(
            f"{source} has lock-version {raw!r}; cove reads lock files of version 1.x",
            hint="upgrade cove, or make the lock with a tool that writes lock-version 1.0",
        )
    return version


def _validation_error(
    exc: PylockValidationError, data: Mapping[str, Any], source: str
) -> LockError:
    """packaging's finding, with the package's name and the field in cove's words."""
    context = exc.context or ""
    match = _CONTEXT.fullmatch(context)
    if match:
        where = _package_place(data, int(match.group(1)))
        if match.group(2):
            where += f", field {match.group(2)!r}"
    else:
        where = f"field {context!r}" if context else "the lock"
    message = exc.message
    if message == "Missing required value":
        message = "missing (PEP 751 requires it)"
    return LockError(f"{source}: {where}: {message}", hint=_remake_hint(data))


def _package_place(data: Mapping[str, Any], index: int) -> str:
    packages = data.get("packages")
    entry = packages[index] if isinstance(packages, list) and index < len(packages) else None
    name = entry.get("name") if isinstance(entry, Mapping) else None
    return (
        f"package {name!r} (packages[{index}])" if isinstance(name, str) else f"packages[{index}]"
    )


def _remake_hint(data: Mapping[str, Any]) -> str:
    made_by = data.get("created-by")
    by = f" with {made_by}, which wrote it" if isinstance(made_by, str) and made_by else ""
    return f"the file does not follow PEP 751: correct that entry, or make the lock again{by}"


def _unknown_keys(table: Mapping[str, Any], place: str) -> Iterable[str]:
    """Keys PEP 751 does not define, as dotted places (``packages.wheels.colour``)."""
    schema = _SCHEMA.get(place)
    if schema is None:
        return
    known = {field.name.replace("_", "-") for field in dataclasses.fields(schema)}
    for key, value in table.items():
        here = f"{place}.{key}" if place else key
        if key not in known:
            yield here
        elif isinstance(value, Mapping):
            yield from _unknown_keys(value, here)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Mapping):
                    yield from set(_unknown_keys(item, here))


def _check(lock: Pylock, source: str) -> None:
    """cove's checks beyond packaging's: hashes it can verify, local paths inside the project,
    one entry per name wherever a marker cannot tell them apart."""
    for i, package in enumerate(lock.packages):
        where = f"{source}: package {package.name!r} (packages[{i}])"
        files: list[tuple[str, Mapping[str, str]]] = [
            (f"wheels[{j}].hashes", wheel.hashes) for j, wheel in enumerate(package.wheels or ())
        ]
        if package.sdist is not None:
            files.append(("sdist.hashes", package.sdist.hashes))
        if package.archive is not None:
            files.append(("archive.hashes", package.archive.hashes))
        for field, hashes in files:
            problem = _hash_problem(hashes)
            if problem is not None:
                raise LockError(
                    f"{where}, field {field!r}: {problem}",
                    hint="a lock records the sha256 of every file (PEP 751); make it again "
                    "with a tool that writes the hashes",
                )
        if package.directory is not None:
            problem = _path_problem(package.directory.path)
            if problem is not None:
                raise LockError(
                    f"{where}, field 'directory.path': {package.directory.path!r} {problem}",
                    hint="a lock may name local source trees only inside the directory it is "
                    "in (the project): move the lock file up to a directory that holds the "
                    "source tree and lock from there",
                )
        for field, sub in (
            ("directory", package.directory),
            ("vcs", package.vcs),
            ("archive", package.archive),
        ):
            subdirectory = getattr(sub, "subdirectory", None)
            if subdirectory is not None and _path_problem(subdirectory) is not None:
                raise LockError(
                    f"{where}, field '{field}.subdirectory': {subdirectory!r} is not a path "
                    "inside the source tree",
                    hint="subdirectory names a directory of the source tree, relative to its "
                    "root, without '..'",
                )
    _check_one_entry_per_name(lock, source)


def _hash_problem(hashes: Mapping[str, str]) -> str | None:
    import hashlib

    usable = sorted(a for a in hashes if _algorithm(a) in hashlib.algorithms_guaranteed)
    if not usable:
        return (
            f"no hash cove can verify (it has {', '.join(sorted(hashes))}; cove verifies "
            "sha256, sha384, sha512 and the others Python's hashlib always has)"
        )
    for algorithm in usable:
        value = hashes[algorithm]
        size = hashlib.new(_algorithm(algorithm)).digest_size * 2
        if len(value) != size or not all(c in "0123456789abcdefABCDEF" for c in value):
            return f"the {algorithm} value {value!r} is not a {size}-digit hexadecimal digest"
    return None


def _algorithm(name: str) -> str:
    """The hashlib name of a hash key (lower case); the variable-length SHAKE digests, which a
    hash table cannot give a length for, never match."""
    lowered = name.lower()
    return "" if lowered.startswith("shake_") else lowered


def _path_problem(path: str) -> str | None:
    """Why a relative path from a lock (either separator) does not stay below its base."""
    if _URL_SCHEME.match(path):
        return "is a URL, not a path relative to the lock file"
    if path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path):
        return "is absolute; it must be relative to the lock file and inside its directory"
    depth = 0
    for part in re.split(r"[/\\]", path):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "leaves the directory of the lock file"
        elif part not in ("", "."):
            depth += 1
    return None


def _check_one_entry_per_name(lock: Pylock, source: str) -> None:
    """Two entries of one name must have markers that can tell them apart: without a marker,
    or with the same one, both apply wherever either does."""
    seen: dict[NormalizedName, list[int]] = {}
    for i, package in enumerate(lock.packages):
        seen.setdefault(package.name, []).append(i)
    for name, places in seen.items():
        if len(places) < 2:
            continue
        by_marker: dict[str, int] = {}
        for i in places:
            marker = lock.packages[i].marker
            first = places[0] if i != places[0] else places[1]
            if marker is None:
                reason = f"packages[{i}] has no marker, so it applies wherever packages[{first}]"
                break
            text = str(marker)
            if text in by_marker:
                first = by_marker[text]
                reason = f"packages[{first}] and packages[{i}] have the same marker ({text})"
                break
            by_marker[text] = i
        else:
            continue
        raise LockError(
            f"{source}: package {name!r} is listed {len(places)} times and {reason} does: "
            "an environment would get both",
            hint="give each entry a marker that no environment shares with another, or keep "
            "one entry; locking again (cove lock) writes such markers",
        )


# -- writing ---------------------------------------------------------------------------------


def _normalized_package(package: Package) -> Package:
    def hashed(artifact: Any) -> Any:
        if artifact is None:
            return None
        return dataclasses.replace(artifact, hashes=dict(sorted(artifact.hashes.items())))

    wheels = None
    if package.wheels is not None:
        wheels = sorted((hashed(w) for w in package.wheels), key=lambda w: w.filename)
    dependencies = None
    if package.dependencies is not None:
        dependencies = sorted(
            (_sorted_table(d, first="name") for d in package.dependencies),
            key=lambda d: (str(d.get("name", "")), _json(d)),
        )
    identities = None
    if package.attestation_identities is not None:
        identities = sorted((_sorted_table(a) for a in package.attestation_identities), key=_json)
    return dataclasses.replace(
        package,
        wheels=wheels,
        sdist=hashed(package.sdist),
        archive=hashed(package.archive),
        dependencies=dependencies,
        attestation_identities=identities,
        tool=None if package.tool is None else _sorted_table(package.tool),
    )


def _sorted_packages(packages: Iterable[Package]) -> list[Package]:
    """By name, version, then marker; entries alike in all three (which a valid lock does not
    have) by their whole content, worked out only for them (it costs a copy of each)."""

    def key(package: Package) -> tuple[Any, ...]:
        version = (0, LOCK_VERSION) if package.version is None else (1, package.version)
        return (package.name, version, "" if package.marker is None else str(package.marker))

    ordered = sorted(packages, key=key)
    keys = [key(p) for p in ordered]
    if len(set(keys)) == len(keys):
        return ordered
    return sorted(ordered, key=lambda p: (*key(p), _json(dataclasses.asdict(p))))


def _sorted_table(table: Mapping[str, Any], first: str | None = None) -> dict[str, Any]:
    """A free-form table with its keys (and those of tables within it) sorted."""

    def value(v: Any) -> Any:
        if isinstance(v, Mapping):
            return _sorted_table(v)
        if isinstance(v, list | tuple):
            return [value(item) for item in v]
        return v

    keys = sorted(table, key=lambda k: (k != first, k))
    return {k: value(table[k]) for k in keys}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# -- selecting -------------------------------------------------------------------------------


def _declared(source: str, kind: str, wanted: Iterable[str], declared: Iterable[str]) -> set[str]:
    names = {canonicalize_name(n) for n in wanted}
    known = {canonicalize_name(n) for n in declared}
    unknown = sorted(names - known)
    if unknown:
        has = ", ".join(sorted(known)) or "none"
        raise LockError(
            f"{source} has no {kind} {', '.join(unknown)} (it declares: {has})",
            hint=f"name a {kind} the lock declares, or lock again with it",
        )
    return set(names)


def _python_version(markers: Mapping[str, str], source: str) -> Version:
    """The release requires-python is checked against: 3.13.0 for 3.13.0rc1 (and for a build
    from a branch, "3.13.0+"), as pip and cove's index ranking check it."""
    text = markers.get("python_full_version", "")
    try:
        release = Version(text.rstrip("+")).release
        return Version(".".join(map(str, (*release, 0, 0)[:3])))
    except InvalidVersion:
        raise LockError(
            f"cannot check {source} against this environment: its Python version is {text!r}",
            hint="use an environment of a released Python",
        ) from None


def _describe(markers: Mapping[str, str], python: Version) -> str:
    parts = [f"Python {python}", markers.get("sys_platform", ""), markers.get("platform_machine")]
    return ", ".join(p for p in parts if p)


def _evaluate(marker: Marker, environment: dict[str, str], source: str) -> bool:
    try:
        return marker.evaluate(environment, "requirement")
    except (UndefinedComparison, UndefinedEnvironmentName) as exc:
        raise LockError(
            f"{source}: the environments marker {marker} cannot be evaluated: {exc}",
            hint="correct the marker, or lock again (cove lock)",
        ) from None


def _label(package: Package) -> str:
    return package.name if package.version is None else f"{package.name} {package.version}"


def _marker_text(package: Package) -> str:
    return "(none)" if package.marker is None else str(package.marker)


def _artifact(package: Package, ranks: Mapping[Tag, int]) -> Artifact | None:
    """The file or source to install: the wheel whose best tag ranks first (the higher build,
    then the file name, when tags tie), else the sdist, else the direct reference."""
    for direct in (package.vcs, package.directory, package.archive):
        if direct is not None:
            return direct
    fitting = []
    for wheel in package.wheels or ():
        _, _, build, wheel_tags = parse_wheel_filename(wheel.filename)
        found = [r for t in wheel_tags if (r := ranks.get(t)) is not None]
        if found:
            fitting.append((min(found), build, wheel))
    if fitting:
        best_rank = min(rank for rank, _, _ in fitting)
        tied = [(build, wheel) for rank, build, wheel in fitting if rank == best_rank]
        best_build = max(build for build, _ in tied)
        return min((w for b, w in tied if b == best_build), key=lambda w: w.filename)
    return package.sdist
