"""The PackageSource over real indexes and find-links: project pages fetched in parallel ahead of
the resolver, links ranked for the target, metadata from PEP 658 files before whole wheels."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.requirements import Requirement
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.cache import METADATA
from cove.cache.files import store
from cove.errors import CoveError
from cove.http.client import HttpClient
from cove.http.urls import redact
from cove.index.evaluate import BinaryPolicy, Judged, RankedTags, all_versions, judge_links
from cove.index.metadata import MetadataError, parse_metadata, wheel_metadata
from cove.index.models import Link, make_link
from cove.index.simple import (
    ACCEPT_HEADER,
    Filter,
    parse_find_links,
    parse_project_page,
    project_url,
)
from cove.install.plan import InstalledRef

if TYPE_CHECKING:
    from cove.build.builder import Builder
from cove.resolve.source import Candidate, CandidateMetadata

METADATA_BUCKET = METADATA
IndexStrategy = Literal["first-index", "best-match"]


class SourceError(CoveError):
    """A requirement points at something cove cannot install (yet)."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    index_urls: tuple[str, ...]  # the index first, then extra indexes; empty with --no-index
    find_links: tuple[str, ...] = ()  # directories, file:// or http(s) pages
    strategy: IndexStrategy = "first-index"
    binary: BinaryPolicy = field(default_factory=BinaryPolicy)


class IndexSource:
    def __init__(
        self,
        client: HttpClient,
        config: SourceConfig,
        tags: Sequence[Tag],
        python_version: Version,
        cache_dir: Path,
        markers: Mapping[str, str] | None = None,
        builder: Builder | None = None,
        editable_urls: frozenset[str] = frozenset(),
    ) -> None:
        """``markers`` (the target's) let the source crawl ahead: each project's newest
        dependencies are fetched before the resolver asks for them."""
        self.client = client
        self.config = config
        self.tags = list(tags)
        self._ranked = RankedTags.of(self.tags)
        self._accept = frozenset(str(t) for t in self.tags)
        self._skipped: dict[NormalizedName, int] = {}
        self.python_version = python_version
        self.cache_dir = cache_dir
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cove-index")
        self._pages: dict[NormalizedName, Future[Judged]] = {}
        self._metadata: dict[object, Future[CandidateMetadata]] = {}
        self._markers = markers
        self._builder = builder
        self._editable = editable_urls
        self._built: dict[tuple[NormalizedName, Version], Path] = {}  # sdist candidates
        self._sdists: dict[tuple[NormalizedName, Version], Path] = {}  # fetched, not yet built
        self._vcs: dict[str, tuple[str, str]] = {}  # direct git URL -> (commit, repository)
        self._lock = threading.Lock()  # pages and metadata are requested from worker threads too

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- PackageSource ------------------------------------------------------------------------

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        with self._lock:
            for name in names:
                if name not in self._pages:
                    self._pages[name] = self._pool.submit(self._collect, name)

    def _judged(self, name: NormalizedName) -> Judged:
        self.prefetch([name])
        with self._lock:
            future = self._pages[name]
        return future.result()

    def candidates(self, name: NormalizedName) -> Sequence[Candidate]:
        return self._wheels(name, self._judged(name))

    def _wheels(self, name: NormalizedName, judged: Judged) -> list[Candidate]:
        """Every usable version's best file, newest first (an sdist only where no wheel fits and
        building is allowed); the provider applies specifiers, pre-releases and yanked pins."""
        can_build = self._builder is not None and self._builder.allowed
        return [
            Candidate(name, r.version, r.link, yanked=r.yanked is not None)
            for r in all_versions(judged)
            if r.link.is_wheel or can_build
        ]

    def set_builder(self, builder: Builder | None, editable_urls: frozenset[str]) -> None:
        """Allow building sdists and source trees (the builder installs build requirements
        through this very source, so it is attached after construction)."""
        self._builder = builder
        self._editable = editable_urls

    def direct_url_info(self, candidate: Candidate, editable: bool) -> dict[str, object] | None:
        """PEP 610 direct_url.json for a direct reference, as pip writes it: vcs_info with the
        commit, dir_info for a project directory, archive_info with the file's hash."""
        if candidate.url is None:
            return None
        import hashlib
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        if candidate.url in self._vcs:
            from cove.build.vcs import parse_git_url

            commit, repo = self._vcs[candidate.url]
            git = parse_git_url(candidate.url)
            vcs_info: dict[str, object] = {"commit_id": commit, "vcs": "git"}
            if git.ref:
                vcs_info["requested_revision"] = git.ref
            info: dict[str, object] = {"url": redact(repo), "vcs_info": vcs_info}
            if git.subdirectory:
                info["subdirectory"] = git.subdirectory
            return info
        url = candidate.url.split("#", 1)[0]
        local = Path(url2pathname(urlsplit(url).path)) if url.startswith("file:") else None
        if local is not None and local.is_dir():
            return {"dir_info": {"editable": True} if editable else {}, "url": url}
        info = {"archive_info": {}, "url": redact(url)}
        origin = candidate.origin
        sha = origin.hashes.get("sha256") if isinstance(origin, Link) else None
        if local is not None and local.is_file():
            sha = hashlib.sha256(local.read_bytes()).hexdigest()
        elif not sha and local is None:
            from cove.cache.artifacts import recall_url

            sha = recall_url(self.cache_dir, url)  # hashed when it was downloaded, as pip does
        if sha:
            info["archive_info"] = {"hash": f"sha256={sha}", "hashes": {"sha256": sha}}
        return info

    def built_wheel(self, candidate: Candidate) -> Path | None:
        """The wheel of a chosen sdist candidate, built now (or taken from the cache)."""
        key = (candidate.name, candidate.version)
        if key not in self._built and key in self._sdists and self._builder is not None:
            self._built[key] = self._builder.from_sdist(
                self._sdists[key], str(candidate), project=candidate.name
            )
        return self._built.get(key)

    def _crawl(self, future: Future[CandidateMetadata]) -> None:
        """Fetch the pages of what the newest version needs (a guess the resolver usually
        confirms); runs in a worker thread when that metadata arrives."""
        if self._markers is None or future.cancelled() or future.exception() is not None:
            return
        env = {**self._markers, "extra": ""}
        names = [
            canonicalize_name(r.name)
            for r in future.result().requires_dist
            if r.marker is None or r.marker.evaluate(env)
        ]
        with contextlib.suppress(RuntimeError):  # the pool is shutting down: the run is over
            self.prefetch(names)

    def latest(self, name: NormalizedName, pre: bool = False) -> tuple[Version, str] | None:
        """The newest version the target could install and its best file's kind ("wheel" or
        "sdist"), as ``pip list --outdated`` reports it; pre-releases only with ``pre``."""
        options = [
            r
            for r in all_versions(self._judged(name))
            if r.yanked is None and (pre or not r.version.is_prerelease)
        ]
        if not options:
            return None
        best = max(options, key=lambda r: r.version)
        return best.version, "wheel" if best.link.is_wheel else "sdist"

    def describe_unavailable(self, name: NormalizedName) -> str | None:
        judged = self._judged(name)
        versions = all_versions(judged)
        sdists = [r for r in versions if not r.link.is_wheel]
        if sdists:
            return (
                f"{name} {sdists[0].version} is only available as a source distribution "
                f"({sdists[0].link.filename}) and no wheel fits, and building is switched off "
                "(--no-build)"
            )
        reasons = judged.reasons()[:4]
        if self._skipped.get(name):
            reasons.append(
                f"{self._skipped[name]} wheel(s) are built for other Pythons or platforms "
                f"(this environment takes {self.tags[0]} and compatible tags)"
            )
        if reasons:
            return "; ".join(reasons)
        if versions:
            return None
        where = ", ".join(redact(u) for u in (*self.config.index_urls, *self.config.find_links))
        return f"{name} was not found in {where or 'any index (--no-index)'}"

    def direct(self, requirement: Requirement) -> Candidate:
        url = requirement.url or ""
        plain = url.split("#", 1)[0]
        filename = plain.rstrip("/").rsplit("/", 1)[-1]
        link = make_link(filename, plain, source="direct")
        if link is None or not link.is_wheel:
            wheel = self._build_direct(requirement, plain)
            link = make_link(wheel.name, wheel.as_uri(), source="direct")
            assert link is not None
        if link.project != canonicalize_name(requirement.name):
            raise SourceError(
                f"{requirement.name} @ {redact(url)}: the project is {link.project}",
                hint="make the name before @ match the project",
            )
        assert link.tags is not None
        if not set(link.tags) & set(self.tags):
            raise SourceError(
                f"{link.filename} does not fit the environment's interpreter",
                hint="use a wheel built for this Python and platform",
            )
        return Candidate(link.project, link.version, link, url=url)

    def _build_direct(self, requirement: Requirement, url: str) -> Path:
        """Build the source tree or sdist a direct reference names into a wheel."""
        if self._builder is None:
            raise SourceError(
                f"{requirement.name} @ {redact(url)} must be built from source, and building "
                "is not possible here",
                hint="give a wheel instead",
            )
        label = f"{requirement.name} ({redact(url)})"
        if url.startswith("git+"):
            from cove.build.vcs import checkout, parse_git_url

            git = parse_git_url(requirement.url or url)
            commit, tree = checkout(git, self.cache_dir)
            self._vcs[requirement.url or url] = (commit, git.repo)
            source = tree / git.subdirectory if git.subdirectory else tree
            if not source.is_dir():
                raise SourceError(
                    f"{label}: the repository has no directory {git.subdirectory!r}",
                    hint="check #subdirectory=",
                )
            return self._builder.from_tree(
                source, label, cache_key=f"git:{git.repo}@{commit}#{git.subdirectory or ''}",
                project=requirement.name,
            )  # fmt: skip
        if url.startswith("file:"):
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            path = Path(url2pathname(urlsplit(url).path))
            if path.is_dir():
                editable = (requirement.url or "") in self._editable
                return self._builder.from_tree(
                    path, label, editable=editable, project=requirement.name
                )
            if not path.is_file():
                raise SourceError(f"{path} does not exist", hint="check the path")
            return self._builder.from_sdist(path, label, project=requirement.name)
        from cove.install.prepare import Fetch, fetch_all

        filename = url.rstrip("/").rsplit("/", 1)[-1]
        archive = fetch_all([Fetch(url, filename, label=label)], self.client, self.cache_dir)[url]
        return self._builder.from_sdist(archive, label, project=requirement.name)

    def metadata(self, candidate: Candidate) -> CandidateMetadata:
        origin = candidate.origin
        if isinstance(origin, Link) and not origin.is_wheel:
            return self._sdist_metadata(candidate, origin)
        return self._metadata_future(candidate).result()

    def _sdist_metadata(self, candidate: Candidate, link: Link) -> CandidateMetadata:
        """Ask the sdist's backend for its metadata (prepare_metadata_for_build_wheel, in this
        thread: it installs build requirements through this same source); the wheel itself is
        built only if the candidate is chosen (``built_wheel``)."""
        key = (candidate.name, candidate.version)
        assert self._builder is not None
        archive = self._sdists.get(key)
        if archive is None:
            from cove.install.prepare import Fetch, fetch_all

            fetch = Fetch(link.url, link.filename, link.hashes, label=str(candidate))
            archive = fetch_all([fetch], self.client, self.cache_dir)[link.url]
            self._sdists[key] = archive
        data = self._builder.metadata_from_sdist(archive, str(candidate), project=candidate.name)
        return parse_metadata(data, link.filename)

    def _metadata_future(self, candidate: Candidate) -> Future[CandidateMetadata]:
        key = (candidate.name, candidate.version, candidate.url, candidate.installed)
        with self._lock:
            found = self._metadata.get(key)
            if found is None:
                found = self._pool.submit(self._checked_metadata, candidate)
                self._metadata[key] = found
                new = True
            else:
                new = False
        if new and not candidate.installed:
            found.add_done_callback(self._crawl)
        return found

    def _checked_metadata(self, candidate: Candidate) -> CandidateMetadata:
        found = self._read_metadata(candidate)
        same = canonicalize_name(found.name) == candidate.name
        if found.version != candidate.version or not same:
            raise MetadataError(
                f"{candidate} says it is {found.name} {found.version} in its metadata",
                hint="the index serves an inconsistent file; pin another version",
            )
        return found

    # -- fetching -----------------------------------------------------------------------------

    def _collect(self, name: NormalizedName) -> Judged:
        links: list[Link] = []
        keep = Filter(self._accept)
        for index_url in self.config.index_urls:
            page = self.client.get_page(project_url(index_url, name), ACCEPT_HEADER)
            if page is None or page.content_type == "x-cove/directory":
                continue  # a file:// directory without index.html has no page, as for pip
            before = len(keep.skipped)
            found = parse_project_page(page.body, page.content_type, page.url, name, keep)
            links += found
            if (found or len(keep.skipped) > before) and self.config.strategy == "first-index":
                break
        self._skipped[name] = len(keep.skipped)
        for location in self.config.find_links:
            links += self._find_links(location, name)
        python = (*self.python_version.release, 0, 0)
        judged = judge_links(
            links,
            name,
            tags=self._ranked,
            python_version=(python[0], python[1], python[2]),
            binary=self.config.binary,
        )
        best = self._wheels(name, judged)
        if (
            best
            and self._markers is not None
            and isinstance(best[0].origin, Link)
            and (best[0].origin.is_wheel)
        ):
            with contextlib.suppress(RuntimeError):
                self._metadata_future(best[0])  # most likely asked for next: fetch it now
        return judged

    def _find_links(self, location: str, name: NormalizedName) -> list[Link]:
        if "://" not in location:
            return parse_find_links(Path(location), name)
        if location.startswith("file:"):
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            path = Path(url2pathname(urlsplit(location).path))
            if path.is_dir():
                return parse_find_links(path, name)
        page = self.client.get_page(location, "text/html")
        return [] if page is None else parse_find_links((page.body, page.url), name)

    def _read_metadata(self, candidate: Candidate) -> CandidateMetadata:
        origin = candidate.origin
        if isinstance(origin, InstalledRef):
            return parse_metadata((origin.path / "METADATA").read_bytes(), str(candidate))
        assert isinstance(origin, Link)
        if origin.core_metadata is not None and not origin.url.startswith("file:"):
            return parse_metadata(self._metadata_file(origin), origin.filename)
        from cove.install.prepare import Fetch, fetch_all

        item = Fetch(origin.url, origin.filename, origin.hashes, label=str(candidate))
        wheel = fetch_all([item], self.client, self.cache_dir)[origin.url]
        return parse_metadata(wheel_metadata(wheel), origin.filename)

    def _metadata_file(self, link: Link) -> bytes:
        """The PEP 658 file, cached by its hash when the index gives one."""
        assert link.core_metadata is not None
        expected = link.core_metadata.get("sha256")
        cached = self.cache_dir / METADATA_BUCKET / expected[:2] / expected if expected else None
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        data = self.client.get_bytes(link.metadata_url)
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise MetadataError(
                f"the metadata file of {link.filename} does not match its hash",
                hint="the index is inconsistent or the download was corrupted; try again",
            )
        if cached is not None:
            store(cached, data)
        return data


def installed_candidates(
    installed: Mapping[NormalizedName, InstalledRef],
) -> dict[NormalizedName, Candidate]:
    return {n: Candidate(n, r.version, r, installed=True) for n, r in installed.items()}
