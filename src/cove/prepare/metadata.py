"""The core metadata resolution reads, from the cheapest place that has it: an installed
distribution's METADATA, the index's PEP 658 file (cached by its hash), else the wheel itself;
an sdist's comes from its build backend (prepare_metadata_for_build_wheel)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cove.cache import METADATA
from cove.cache.artifacts import find_artifact
from cove.cache.files import store
from cove.index.evaluate import Release
from cove.index.metadata import CandidateMetadata, MetadataError, parse_metadata, wheel_metadata
from cove.inspect.installed import InstalledDistribution
from cove.prepare.artifacts import Fetch
from cove.resolve.source import Candidate, DirectReference

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from cove.build.builder import Builder
    from cove.index.models import Link
    from cove.prepare.artifacts import Preparer

BUCKET = METADATA


class MetadataReader:
    """Thread-safe, but an sdist's metadata is read in the calling thread: its backend's build
    requirements are installed through the very source asking."""

    def __init__(self, preparer: Preparer, cache_dir: Path) -> None:
        self.preparer = preparer
        self.cache_dir = cache_dir
        self.builder: Builder | None = None  # attached once it exists (it installs through us)
        self._sdists: dict[tuple[NormalizedName, Version], Path] = {}  # fetched, maybe built
        self._no_ranges: set[str] = set()  # hosts that answered a range with the whole file
        self._lock = threading.Lock()

    def read(self, candidate: Candidate) -> CandidateMetadata:
        """The candidate's metadata, checked to name the candidate's project and version."""
        found = self._read(candidate)
        from cove.names import canonical

        if found.version != candidate.version or canonical(found.name) != candidate.name:
            raise MetadataError(
                f"{candidate} says it is {found.name} {found.version} in its metadata",
                hint="the index serves an inconsistent file; pin another version",
            )
        return found

    def needs_caller_thread(self, candidate: Candidate) -> bool:
        """Whether ``read`` must run in the resolver's thread (an sdist to ask its backend)."""
        link = candidate.link
        return isinstance(candidate.origin, Release) and link is not None and not link.is_wheel

    def sdist(self, candidate: Candidate) -> Path:
        """The sdist file of an sdist candidate, fetched once (for its metadata, then its
        build)."""
        link = candidate.link
        assert link is not None and not link.is_wheel
        key = (candidate.name, candidate.version)
        with self._lock:
            archive = self._sdists.get(key)
        if archive is None:
            fetch = Fetch(link.url, link.filename, link.hashes, label=str(candidate))
            archive = self.preparer.fetch([fetch])[link.url]
            with self._lock:
                self._sdists[key] = archive
        return archive

    def _read(self, candidate: Candidate) -> CandidateMetadata:
        origin = candidate.origin
        if isinstance(origin, InstalledDistribution):
            return parse_metadata((origin.path / "METADATA").read_bytes(), str(candidate))
        link = origin.wheel if isinstance(origin, DirectReference) else origin.link
        if not link.is_wheel:
            if self.builder is None:
                raise MetadataError(
                    f"{candidate} is only a source distribution, and nothing here can build it",
                    hint="give a wheel instead",
                )
            data = self.builder.metadata_from_sdist(
                self.sdist(candidate), str(candidate), project=candidate.name
            )
            return parse_metadata(data, link.filename)
        if link.core_metadata is not None and not link.url.startswith("file:"):
            return parse_metadata(self._metadata_file(link), link.filename)
        return parse_metadata(self._wheel_metadata(link, str(candidate)), link.filename)

    def _wheel_metadata(self, link: Link, label: str) -> bytes:
        """A wheel's own METADATA, without PEP 658: from the cache (a wheel's metadata never
        changes for its hash), the wheel when it is on disk, a few HTTP range requests, else
        the whole wheel (then in the cache for the install)."""
        sha256 = link.hashes.get("sha256")
        cached = self.cache_dir / BUCKET / "wheels" / sha256[:2] / sha256 if sha256 else None
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        data = None
        local = link.url.startswith("file:") or (
            sha256 is not None and find_artifact(self.cache_dir, sha256, link.filename)
        )
        if not local and self._ranges_served(link.url):
            data = self._by_ranges(link)
        if data is None:
            item = Fetch(link.url, link.filename, link.hashes, label=label)
            data = wheel_metadata(self.preparer.fetch([item])[link.url])
        if cached is not None:
            store(cached, data)
        return data

    def _ranges_served(self, url: str) -> bool:
        from cove.http.urls import host_of

        with self._lock:
            return url.startswith(("http:", "https:")) and host_of(url) not in self._no_ranges

    def _by_ranges(self, link: Link) -> bytes | None:
        """METADATA read with range requests; None when the server does not serve ranges (it
        is not asked again in this run) or answers them inconsistently."""
        from cove.errors import CoveError
        from cove.http.urls import host_of
        from cove.prepare.remote import RemoteWheel

        try:
            remote = RemoteWheel.open(self.preparer.client, link.url, link.filename)
            if remote is not None:
                return wheel_metadata(remote)
        except CoveError:
            pass  # a refused range, a 416, a zip read wrong by ranges: the whole file decides
        with self._lock:
            self._no_ranges.add(host_of(link.url))
        return None

    def _metadata_file(self, link: Link) -> bytes:
        """The PEP 658 file, cached by its hash when the index gives one."""
        assert link.core_metadata is not None
        expected = link.core_metadata.get("sha256")
        cached = self.cache_dir / BUCKET / expected[:2] / expected if expected else None
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        data = self.preparer.client.get_bytes(link.metadata_url)
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise MetadataError(
                f"the metadata file of {link.filename} does not match its hash",
                hint="the index is inconsistent or the download was corrupted; try again",
            )
        if cached is not None:
            store(cached, data)
        return data
