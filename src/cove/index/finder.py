"""Find a project's files on every configured index and find-links location, as pip reads them:
PEP 691 JSON or PEP 503 HTML pages, local directories, file:// and http(s) pages; a location
that fails or is not secure is skipped with a warning, once per run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple
from urllib.parse import urlsplit

from cove.http.client import NetworkError
from cove.http.urls import is_secure_origin, redact
from cove.index.parsed import Parsed, ParsedPages
from cove.index.simple import (
    ACCEPT_HEADER,
    Filter,
    parse_find_links,
    parse_project_page,
    project_url,
)

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from cove.http.client import HttpClient, Known, Response
    from cove.index.models import Link

IndexStrategy = Literal["first-index", "best-match"]


@dataclass(frozen=True, slots=True)
class Locations:
    """Where projects are looked up, in order."""

    index_urls: tuple[str, ...]  # the index first, then extra indexes; empty with --no-index
    find_links: tuple[str, ...] = ()  # directories, file:// or http(s) pages
    strategy: IndexStrategy = "first-index"


class Found(NamedTuple):
    links: list[Link]
    skipped: int  # wheels left out before parsing because no tag of theirs fits the target


class Finder:
    """Thread-safe: the source asks for many projects at once from its worker threads."""

    def __init__(
        self,
        client: HttpClient,
        locations: Locations,
        accept: frozenset[str] | None,
        warn: Callable[[str], None],
    ) -> None:
        """``accept``: the target's tags as strings (wheels with none of them are skipped
        before parsing); ``warn`` hears of locations that are skipped."""
        self.client = client
        self.locations = locations
        self._accept = accept
        self._warn = warn
        self._failed: dict[str, str] = {}  # location -> why it is not used
        self._lock = threading.Lock()
        cache_dir = client.options.cache_dir
        self._parsed = None if cache_dir is None else ParsedPages(cache_dir, accept)

    def find(self, name: NormalizedName) -> Found:
        links: list[Link] = []
        skipped = 0
        for index_url in self.locations.index_urls:
            if not self._usable(index_url):
                continue
            known: dict[tuple[str, str, str], Parsed] = {}  # Links from the cache, by _known
            try:
                page = self.client.get_page(
                    project_url(index_url, name), ACCEPT_HEADER, self._known(name, known)
                )
            except NetworkError as exc:
                self._unreachable(index_url, exc)
                continue
            if page is None or page.content_type == "x-cove/directory":
                continue  # a file:// directory without index.html has no page, as for pip
            cached = known.get((page.sha256 or "", page.content_type, page.url))
            found = cached if cached is not None else self._parse(page, name)
            links += found.links
            skipped += found.skipped
            if (found.links or found.skipped) and self.locations.strategy == "first-index":
                break
        for location in self.locations.find_links:
            links += self._find_links(location, name)
        return Found(links, skipped)

    def _known(
        self, name: NormalizedName, known: dict[tuple[str, str, str], Parsed]
    ) -> Known | None:
        """For the client: whether a cached body's Links are in the parsed-page cache (kept
        in ``known`` by what they were parsed from), so a page that did not change is not
        read again only to be looked up."""
        parsed = self._parsed
        if parsed is None:
            return None

        def have(sha256: str, content_type: str, page_url: str) -> bool:
            found = parsed.load(parsed.key(sha256, content_type, page_url, name), page_url)
            if found is not None:
                known[sha256, content_type, page_url] = found
            return found is not None

        return have

    def _parse(self, page: Response, name: NormalizedName) -> Parsed:
        """A project page's Links: from the parsed-page cache when this body was parsed for this
        target before, else parsed (and stored, when the page cache holds the body)."""
        key = None
        if self._parsed is not None and page.sha256 is not None:
            key = self._parsed.key(page.sha256, page.content_type, page.url, name)
            cached = self._parsed.load(key, page.url)
            if cached is not None:
                return cached
        keep = Filter(self._accept)
        links = parse_project_page(page.body, page.content_type, page.url, name, keep)
        parsed = Parsed(links, len(keep.skipped))
        if self._parsed is not None and key is not None:
            self._parsed.save(key, parsed)
        return parsed

    def not_found(self, name: NormalizedName) -> str:
        """The sentence for a project no location has: where it was looked for, and which
        locations could not be read."""
        locations = (*self.locations.index_urls, *self.locations.find_links)
        with self._lock:
            failed = dict(self._failed)
        where = ", ".join(redact(u) for u in locations if u not in failed)
        text = f"{name} was not found in {where or 'any index (--no-index)'}"
        if failed:
            text += "; not read: " + "; ".join(f"{redact(u)} ({why})" for u, why in failed.items())
        return text

    def _find_links(self, location: str, name: NormalizedName) -> list[Link]:
        if "://" not in location:
            return parse_find_links(Path(location), name)
        if location.startswith("file:"):
            from urllib.request import url2pathname

            path = Path(url2pathname(urlsplit(location).path))
            if path.is_dir():
                return parse_find_links(path, name)
        if not self._usable(location):
            return []
        try:
            page = self.client.get_page(location, "text/html")
        except NetworkError as exc:
            self._unreachable(location, exc)
            return []
        return [] if page is None else parse_find_links((page.body, page.url), name)

    def _usable(self, location: str) -> bool:
        """A page is read unless its location failed earlier in this run or is plain http
        from a host that is neither local nor trusted (pip ignores those too)."""
        with self._lock:
            if location in self._failed:
                return False
            if is_secure_origin(location, self.client.options.trusted_hosts):
                return True
            self._failed[location] = "insecure"
        netloc = urlsplit(location).netloc.rpartition("@")[2]
        self._warn(
            f"ignoring {redact(location)}: plain http from a host that is not trusted; use "
            f"https, or allow it with --trusted-host {netloc}"
        )
        return False

    def _unreachable(self, location: str, exc: NetworkError) -> None:
        """pip warns and goes on with the other locations: so does cove, and does not ask a
        failing location again in this run (each try costs its retries)."""
        with self._lock:
            if location in self._failed:
                return
            self._failed[location] = exc.message
        self._warn(f"skipping {redact(location)}: {exc.message}")
