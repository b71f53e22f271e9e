"""Direct references made ready for resolution: a wheel URL or path as it is, and a project
directory, an sdist (local or remote) or a git commit built into a wheel by the builder; each
one once per run, so the resolver always sees the same candidate for the same URL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from cove.errors import CoveError
from cove.http.urls import redact
from cove.index.models import make_link
from cove.prepare.artifacts import Fetch
from cove.resolve.source import Candidate, DirectReference, VcsCheckout

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from packaging.requirements import Requirement
    from packaging.tags import Tag

    from cove.build.builder import Builder
    from cove.prepare.artifacts import Preparer


class SourceError(CoveError):
    """A requirement points at something cove cannot install."""


def fragment_hashes(fragment: str) -> dict[str, str]:
    """Hashes a direct URL carries in its fragment (``#sha256=<hex>``, beside ``egg=`` and
    ``subdirectory=``), as pip reads them: the download is checked against them and may come
    from the cache."""
    from urllib.parse import parse_qsl

    return {
        algo: digest.lower()
        for algo, digest in parse_qsl(fragment)
        if algo in ("sha1", "sha224", "sha256", "sha384", "sha512", "md5")
    }


class DirectReferences:
    def __init__(self, preparer: Preparer, cache_dir: Path, tags: Collection[Tag]) -> None:
        self.preparer = preparer
        self.cache_dir = cache_dir
        self.tags = frozenset(tags)
        self.builder: Builder | None = None  # attached once it exists
        self.editable_urls: frozenset[str] = frozenset()  # built in development mode (PEP 660)
        self._made: dict[str, Candidate] = {}
        self._lock = threading.Lock()

    def candidate(self, requirement: Requirement) -> Candidate:
        url = requirement.url or ""
        with self._lock:
            found = self._made.get(url)
        if found is None:
            found = self._make(requirement, url)
            with self._lock:
                found = self._made.setdefault(url, found)
        return found

    def _make(self, requirement: Requirement, url: str) -> Candidate:
        plain, _, fragment = url.partition("#")
        filename = plain.rstrip("/").rsplit("/", 1)[-1]
        hashes = fragment_hashes(fragment)
        link = make_link(filename, plain, hashes=hashes, source="direct")
        vcs: VcsCheckout | None = None
        directory = False
        if link is None or not link.is_wheel:
            wheel, vcs, directory = self._build(requirement, url, plain, hashes)
            link = make_link(wheel.name, wheel.as_uri(), source="direct")
            assert link is not None
        if link.project != canonicalize_name(requirement.name):
            raise SourceError(
                f"{requirement.name} @ {redact(url)}: the project is {link.project}",
                hint="make the name before @ match the project",
            )
        assert link.tags is not None
        if not link.tags & self.tags:
            raise SourceError(
                f"{link.filename} does not fit the environment's interpreter",
                hint="use a wheel built for this Python and platform",
            )
        origin = DirectReference(url, link, vcs, directory)
        return Candidate(link.project, link.version, origin)

    def _build(
        self, requirement: Requirement, url: str, plain: str, hashes: dict[str, str]
    ) -> tuple[Path, VcsCheckout | None, bool]:
        """Build the source tree, sdist or commit a direct reference names into a wheel."""
        builder = self._builder_for(requirement, plain)
        label = f"{requirement.name} ({redact(plain)})"
        if plain.startswith("git+"):
            from cove.build.vcs import checkout, parse_git_url

            git = parse_git_url(url)
            commit, tree = checkout(git, self.cache_dir)
            source = tree / git.subdirectory if git.subdirectory else tree
            if not source.is_dir():
                raise SourceError(
                    f"{label}: the repository has no directory {git.subdirectory!r}",
                    hint="check #subdirectory=",
                )
            key = f"git:{git.repo}@{commit}#{git.subdirectory or ''}"
            checked = VcsCheckout(redact(git.repo), commit, git.ref, git.subdirectory)
            wheel = builder.from_tree(source, label, cache_key=key, project=requirement.name)
            return wheel, checked, False
        if plain.startswith("file:"):
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            path = Path(url2pathname(urlsplit(plain).path))
            if path.is_dir():
                editable = url in self.editable_urls
                wheel = builder.from_tree(path, label, editable=editable, project=requirement.name)
                return wheel, None, True
            if not path.is_file():
                raise SourceError(f"{path} does not exist", hint="check the path")
            if hashes:
                self.preparer.fetch([Fetch(plain, path.name, hashes, label=label)])  # checked
            return builder.from_sdist(path, label, project=requirement.name), None, False
        filename = plain.rstrip("/").rsplit("/", 1)[-1]
        archive = self.preparer.fetch([Fetch(plain, filename, hashes, label=label)])[plain]
        return builder.from_sdist(archive, label, project=requirement.name), None, False

    def _builder_for(self, requirement: Requirement, url: str) -> Builder:
        if self.builder is None:
            raise SourceError(
                f"{requirement.name} @ {redact(url)} must be built from source, and building "
                "is not possible here",
                hint="give a wheel instead",
            )
        return self.builder


def direct_url_info(
    reference: DirectReference, editable: bool, sha256_of: Callable[[str], str | None]
) -> dict[str, object]:
    """PEP 610 direct_url.json for a direct reference, as pip writes it: vcs_info with the
    commit, dir_info for a project directory, archive_info with the file's hash (``sha256_of``
    answers for a URL this run downloaded)."""
    import hashlib

    from cove import direct_url

    if reference.vcs is not None:
        vcs = reference.vcs
        return direct_url.for_vcs(vcs.repo, vcs.commit, vcs.requested_revision, vcs.subdirectory)
    plain, _, fragment = reference.url.partition("#")
    if reference.directory:
        return direct_url.for_directory(plain, editable)
    sha = fragment_hashes(fragment).get("sha256")
    if plain.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        local = Path(url2pathname(urlsplit(plain).path))
        if local.is_file():
            sha = hashlib.sha256(local.read_bytes()).hexdigest()
    elif not sha:
        sha = sha256_of(plain)  # hashed as it was downloaded, as pip does
    return direct_url.for_archive(redact(plain), sha)
