"""A lock's chosen artifacts as pins the installer takes without resolving: an index file as a
candidate ready to fetch (its URL, or its path against the lock file's directory, with the
lock's hashes and size), a vcs, directory or archive entry as a direct reference for the
source to make ready, each with the PEP 610 record an install from it writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

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
from packaging.utils import parse_sdist_filename, parse_wheel_filename

from cove import direct_url
from cove.errors import LockError
from cove.index.evaluate import Release
from cove.index.models import make_link
from cove.install.plan import Pinned
from cove.lock.pylock import Choice
from cove.resolve.source import Candidate


def pinned_from_lock(lock: Pylock, choices: Sequence[Choice], lock_path: Path) -> list[Pinned]:
    """One pin per chosen artifact of ``lock`` (read from ``lock_path``); relative paths are
    read against the lock file's directory, where PEP 751 puts their base."""
    base = lock_path.absolute().parent
    out = []
    for choice in choices:
        package = choice.package
        index = next(i for i, p in enumerate(lock.packages) if p is package)
        where = f"{lock_path}: package {package.name!r} (packages[{index}])"
        out.append(_pinned(choice, base, where))
    return out


def _pinned(choice: Choice, base: Path, where: str) -> Pinned:
    artifact = choice.artifact
    if isinstance(artifact, PackageWheel | PackageSdist):
        return _pinned_file(choice.package, artifact, base, where)
    if isinstance(artifact, PackageVcs):
        return _pinned_vcs(choice.package, artifact, base, where)
    if isinstance(artifact, PackageDirectory):
        return _pinned_directory(choice.package, artifact, base, where)
    return _pinned_archive(choice.package, artifact, base, where)


def _pinned_file(
    package: Package, artifact: PackageWheel | PackageSdist, base: Path, where: str
) -> Pinned:
    """A wheel or sdist as a candidate ready to fetch, with the lock's hashes and size."""
    name = package.name
    if isinstance(artifact, PackageWheel):
        field = f"wheels[{list(package.wheels or ()).index(artifact)}]"
        version = parse_wheel_filename(artifact.filename)[1]
    else:
        field = "sdist"
        version = parse_sdist_filename(artifact.filename)[1]
    version = package.version or version
    url = _url(artifact.url, artifact.path, base, where, field)
    hashes = _lowered(artifact.hashes)
    link = make_link(
        artifact.filename, url, project=name, hashes=hashes, size=artifact.size,
        source=f"{where}, field {field!r}",
    )  # fmt: skip
    if link is None:
        raise LockError(
            f"{where}, field '{field}.name': {artifact.filename!r} is not a wheel or sdist "
            "file name",
            hint="correct the entry, or make the lock again",
        )
    candidate = Candidate(name, version, Release(version, (link,)))
    return Pinned(
        name, version, candidate=candidate, hashes=_hash_specs(hashes),
        size=artifact.size, where=f"{where}, field '{field}'",
    )  # fmt: skip


def _pinned_vcs(package: Package, artifact: PackageVcs, base: Path, where: str) -> Pinned:
    """A git repository at the locked commit."""
    if artifact.type != "git":
        raise LockError(
            f"{where}, field 'vcs.type': cove installs git repositories, not {artifact.type}",
            hint="lock a wheel or sdist of the package instead",
        )
    repo = _url(artifact.url, artifact.path, base, where, "vcs")
    sub = f"#subdirectory={artifact.subdirectory}" if artifact.subdirectory else ""
    req = Requirement(f"{package.name} @ git+{repo}@{artifact.commit_id}{sub}")
    record = direct_url.for_vcs(
        repo, artifact.commit_id, artifact.requested_revision, artifact.subdirectory
    )
    return Pinned(
        package.name, package.version, requirement=req, direct_url=record,
        where=f"{where}, field 'vcs'",
    )  # fmt: skip


def _pinned_directory(
    package: Package, artifact: PackageDirectory, base: Path, where: str
) -> Pinned:
    """A local source tree (editable when the lock says so), which must still be there."""
    tree = base / artifact.path
    if artifact.subdirectory:
        tree = tree / artifact.subdirectory
    if not tree.is_dir():
        raise LockError(
            f"{where}, field 'directory.path': {tree} is not a directory",
            hint="lock again from the project's directory, or restore the source tree",
        )
    url = tree.resolve().as_uri()
    editable = bool(artifact.editable)
    return Pinned(
        package.name, package.version, requirement=Requirement(f"{package.name} @ {url}"),
        direct_url=direct_url.for_directory(url, editable), editable=editable,
        where=f"{where}, field 'directory'",
    )  # fmt: skip


def _pinned_archive(package: Package, artifact: PackageArchive, base: Path, where: str) -> Pinned:
    """An archive by URL or path, its hashes in the URL's fragment as a direct reference."""
    url = _url(artifact.url, artifact.path, base, where, "archive")
    hashes = _lowered(artifact.hashes)
    fragment = "&".join(f"{k}={v}" for k, v in sorted(hashes.items()))
    sub = f"&subdirectory={artifact.subdirectory}" if artifact.subdirectory else ""
    req = Requirement(f"{package.name} @ {url}#{fragment}{sub}")
    return Pinned(
        package.name, package.version, requirement=req,
        direct_url=direct_url.for_archive(url, hashes.get("sha256")),
        hashes=_hash_specs(hashes), size=artifact.size, where=f"{where}, field 'archive'",
    )  # fmt: skip


def _url(url: str | None, path: str | None, base: Path, where: str, field: str) -> str:
    """Where a file is: its URL, else its path (relative ones against the lock's directory)."""
    if url:
        return url
    if path:
        return (base / path).resolve().as_uri()
    raise LockError(
        f"{where}, field {field!r}: neither url nor path is given",
        hint="PEP 751 needs one of them: correct the entry, or make the lock again",
    )


def _lowered(hashes: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v.lower() for k, v in hashes.items()}


def _hash_specs(hashes: dict[str, str]) -> frozenset[str]:
    return frozenset(f"{algorithm}:{value}" for algorithm, value in hashes.items())
