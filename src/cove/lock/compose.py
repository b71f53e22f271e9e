"""A resolution written down: the PEP 751 lock (or the pinned requirements) of the chosen
candidates. Pure: which packages only an extra or a dependency group needs (their ``marker``),
who asks for each (``# via``), and every file of each chosen release that fits the target; the
facts an index did not give (a sha256, a size) come in from the caller, who hashed the file."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from packaging.markers import Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageDirectory,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
)
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from cove.errors import LockError
from cove.http.urls import split_auth
from cove.index.evaluate import Release
from cove.index.models import Link
from cove.lock.export import Pin
from cove.lock.pylock import LOCK_VERSION
from cove.resolve.source import Candidate, DirectReference

CREATED_BY = "cove"
BASE = ""  # the scope of what is always installed; the others are "extra:NAME", "group:NAME"


@dataclass(frozen=True, slots=True)
class Root:
    """A requirement the person gave, its scope (``BASE``, ``extra:NAME``, ``group:NAME``) and
    where it came from for ``# via`` (``-r requirements.in``, ``pyproject.toml``; None for a
    command-line argument)."""

    requirement: Requirement
    scope: str = BASE
    via: str | None = None


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What cove worked out of a file the index gave no sha256 (or size) for."""

    sha256: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    """One chosen candidate and what the lock records beside it."""

    candidate: Candidate
    requires_python: SpecifierSet | None = None
    scopes: frozenset[str] = frozenset({BASE})
    required_by: tuple[str, ...] = ()
    index: str | None = None  # the index its files came from (credentials removed)
    editable: bool = False


def needed_by(
    roots: Sequence[Root],
    chosen: Mapping[NormalizedName, Candidate],
    requires: Mapping[NormalizedName, Sequence[Requirement]],
    markers: Mapping[str, str],
) -> dict[NormalizedName, tuple[frozenset[str], tuple[str, ...]]]:
    """For every chosen project: the scopes that need it and who asks for it (the projects
    depending on it and the roots' ``via``), walking each scope's requirements through the
    chosen candidates' dependencies with markers evaluated for the target, extras included
    as the resolver includes them."""
    scopes: dict[NormalizedName, set[str]] = {}
    parents: dict[NormalizedName, set[str]] = {}
    for scope in dict.fromkeys(root.scope for root in roots):
        queue: list[tuple[Requirement, str | None]] = [
            (root.requirement, root.via) for root in roots if root.scope == scope
        ]
        seen: set[tuple[NormalizedName, str]] = set()
        while queue:
            req, parent = queue.pop()
            name = canonicalize_name(req.name)
            if name not in chosen:
                continue
            scopes.setdefault(name, set()).add(scope)
            if parent is not None:
                parents.setdefault(name, set()).add(parent)
            for extra in ("", *sorted(canonicalize_name(e) for e in req.extras)):
                if (name, extra) in seen:
                    continue
                seen.add((name, extra))
                environment = {**markers, "extra": extra}
                for dep in requires.get(name, ()):
                    if dep.marker is not None and not dep.marker.evaluate(environment):
                        continue
                    if extra and (dep.marker is None or "extra" not in str(dep.marker)):
                        continue  # the extra adds only what it asks for itself
                    queue.append((dep, name))
    return {
        name: (frozenset(scopes.get(name, {BASE})), tuple(sorted(parents.get(name, ()))))
        for name in chosen
    }


def lock_files(candidate: Candidate) -> list[Link]:
    """The files a lock records of an index candidate: every wheel of the release that fits
    the target, and its best sdist (each file name once)."""
    if not isinstance(candidate.origin, Release):
        return []
    out: dict[str, Link] = {}
    sdist = False
    for link in candidate.origin.links:
        if link.filename in out or (not link.is_wheel and sdist):
            continue
        sdist = sdist or not link.is_wheel
        out[link.filename] = link
    return list(out.values())


def archive_url(candidate: Candidate) -> str | None:
    """The URL (fragment dropped) of a direct reference to an archive: a wheel or sdist by URL
    or path, whose file the lock records by hash."""
    origin = candidate.origin
    if not isinstance(origin, DirectReference) or origin.vcs is not None or origin.directory:
        return None
    return origin.url.partition("#")[0]


def make_pylock(
    resolved: Sequence[Resolved],
    facts: Mapping[str, FileFacts],
    *,
    lock_dir: Path,
    requires_python: SpecifierSet | None = None,
    environments: Sequence[Marker] | None = None,
) -> Pylock:
    """The lock of ``resolved``; ``facts`` by URL for the files whose link lacks a sha256 (or
    a size), and for every direct archive. Local paths are written relative to ``lock_dir``
    when inside it; a project directory outside it is refused (a lock names source trees of
    its own project only)."""
    scopes = sorted({s for r in resolved for s in r.scopes if s != BASE})
    extras = [canonicalize_name(s.partition(":")[2]) for s in scopes if s.startswith("extra:")]
    groups = [s.partition(":")[2] for s in scopes if s.startswith("group:")]
    packages = [_package(r, facts, lock_dir) for r in resolved]
    return Pylock(
        lock_version=LOCK_VERSION,
        environments=list(environments) if environments else None,
        requires_python=requires_python,
        extras=extras or None,
        dependency_groups=groups or None,
        default_groups=groups or None,
        created_by=CREATED_BY,
        packages=packages,
    )


def make_pins(resolved: Sequence[Resolved], facts: Mapping[str, FileFacts]) -> list[Pin]:
    """The pinned requirements of ``resolved``: every file's hash, who asks for each. Extras
    and groups are not markers there (pip has no such markers): what they need is listed."""
    pins = []
    for r in resolved:
        c = r.candidate
        hashes = tuple(f"sha256:{_sha256(link, facts)}" for link in lock_files(c))
        url = None
        origin = c.origin
        if isinstance(origin, DirectReference):
            plain = archive_url(c)
            if plain is not None:
                hashes = (f"sha256:{facts[plain].sha256}",)
            url = _direct_requirement_url(origin)
        pins.append(Pin(c.name, str(c.version), hashes, r.required_by, url=url))
    return pins


def scope_marker(scopes: frozenset[str]) -> Marker | None:
    """None for what is always installed; else the PEP 751 marker of the extras and groups
    that need it (``"x" in extras or "dev" in dependency_groups``)."""
    if BASE in scopes:
        return None
    parts = []
    for scope in sorted(scopes):
        kind, _, name = scope.partition(":")
        parts.append(f'"{name}" in {"extras" if kind == "extra" else "dependency_groups"}')
    return Marker(" or ".join(parts))


# -- one package -------------------------------------------------------------------------------


def _package(r: Resolved, facts: Mapping[str, FileFacts], lock_dir: Path) -> Package:
    c = r.candidate
    marker = scope_marker(r.scopes)
    origin = c.origin
    if isinstance(origin, DirectReference):
        return _direct_package(r, origin, facts, lock_dir, marker)
    wheels: list[PackageWheel] = []
    sdist = None
    for link in lock_files(c):
        url, path = _location(link.url, lock_dir)
        hashes = {"sha256": _sha256(link, facts)}
        size = link.size if link.size is not None else _facts(link, facts).size
        if link.is_wheel:
            wheels.append(
                PackageWheel(
                    name=link.filename, upload_time=_time(link.upload_time), url=url, path=path,
                    size=size, hashes=hashes,
                )
            )  # fmt: skip
        else:
            sdist = PackageSdist(
                name=link.filename, upload_time=_time(link.upload_time), url=url, path=path,
                size=size, hashes=hashes,
            )  # fmt: skip
    return Package(
        name=c.name,
        version=c.version,
        marker=marker,
        requires_python=r.requires_python,
        index=r.index,
        sdist=sdist,
        wheels=wheels or None,
    )


def _direct_package(
    r: Resolved,
    origin: DirectReference,
    facts: Mapping[str, FileFacts],
    lock_dir: Path,
    marker: Marker | None,
) -> Package:
    """A source tree (vcs, directory) is locked without a version (PEP 751: only its build
    knows it); an archive with its version and hash."""
    c = r.candidate
    if origin.vcs is not None:
        vcs = origin.vcs
        return Package(
            name=c.name, marker=marker, requires_python=r.requires_python,
            vcs=PackageVcs(type="git", url=split_auth(vcs.repo)[0], path=None,
                           requested_revision=vcs.requested_revision, commit_id=vcs.commit,
                           subdirectory=vcs.subdirectory),
        )  # fmt: skip
    plain = origin.url.partition("#")[0]
    if origin.directory:
        directory = _local_path(plain)
        relative = _inside(directory, lock_dir)
        if relative is None:
            raise LockError(
                f"cannot lock {c.name} @ {plain}: the directory {directory} is outside "
                f"{lock_dir}, the directory of the lock file",
                hint="a lock names source trees of its own project only: write the lock "
                "in a directory that holds the project (-o), or give a wheel or sdist",
            )
        return Package(
            name=c.name, marker=marker, requires_python=r.requires_python,
            directory=PackageDirectory(path=relative, editable=r.editable or None),
        )  # fmt: skip
    url, path = _location(plain, lock_dir)
    found = facts[plain]
    return Package(
        name=c.name, version=c.version, marker=marker, requires_python=r.requires_python,
        archive=PackageArchive(url=url, path=path, size=found.size, upload_time=None,
                               hashes={"sha256": found.sha256}, subdirectory=None),
    )  # fmt: skip


def _direct_requirement_url(origin: DirectReference) -> str:
    if origin.vcs is not None:
        vcs = origin.vcs
        sub = f"#subdirectory={vcs.subdirectory}" if vcs.subdirectory else ""
        return f"git+{split_auth(vcs.repo)[0]}@{vcs.commit}{sub}"
    return split_auth(origin.url.partition("#")[0])[0]


def _facts(link: Link, facts: Mapping[str, FileFacts]) -> FileFacts:
    found = facts.get(link.url)
    if found is not None:
        return found
    sha = link.hashes.get("sha256")
    if sha is None:  # the caller hashes every such file first
        raise LockError(
            f"{link.filename} has no sha256 to lock",
            hint="report this: cove should have hashed the file",
        )
    return FileFacts(sha, link.size)


def _sha256(link: Link, facts: Mapping[str, FileFacts]) -> str:
    return link.hashes.get("sha256") or _facts(link, facts).sha256


def _location(url: str, lock_dir: Path) -> tuple[str | None, str | None]:
    """(url, path) of a file as the lock records it: a local file by path (relative to the
    lock when inside its directory), any other by URL without credentials."""
    if not url.startswith("file:"):
        return split_auth(url)[0], None
    local = _local_path(url)
    return None, _inside(local, lock_dir) or local.as_posix()


def _local_path(url: str) -> Path:
    return Path(url2pathname(urlsplit(url).path))


def _inside(path: Path, base: Path) -> str | None:
    """``path`` relative to ``base`` (``.`` for base itself, POSIX separators) when inside it."""
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
    except ValueError:
        return None
    return relative.as_posix()


def _time(text: str | None) -> datetime.datetime | None:
    """An index's upload-time (ISO 8601, PEP 700) as the lock's TOML datetime, in UTC."""
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)
