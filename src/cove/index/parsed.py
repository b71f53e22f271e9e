"""The Links parsed from a project page, kept in the cache so an unchanged page (a 304, or a 200
with the same bytes) is not parsed again. I/O: reads and writes the ``parsed`` bucket.

An entry is keyed by everything that decides the parse (the body's sha256, its content type,
the URL links are made absolute against, the project, the target's tags, this format's and
cove's version) and holds JSON, never pickle: the cache directory is not trusted to run code.
Its first line is the sha256 of the rest, so a corrupt or truncated entry is ignored (and
written again) rather than read as a wrong answer. Links are rebuilt from fields validated when
the entry was written: each distinct version and tag set is parsed once per page, not once per
file."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple

from packaging.tags import parse_tag
from packaging.version import Version

from cove import __version__
from cove.cache import PARSED
from cove.cache.files import store
from cove.index.models import Link

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.tags import Tag

# Bumped with any change to what a row holds or to what parse_project_page makes of a page
# (simple.py, models.py); cove's own version is in the key as well, so a release never reads
# another release's entries.
FORMAT = 1


class Parsed(NamedTuple):
    links: list[Link]
    skipped: int  # wheels the target's tags left out


class ParsedPages:
    """Thread-safe (no state but its paths): the finder's worker threads share one."""

    def __init__(self, cache_dir: Path, accept: frozenset[str] | None) -> None:
        self._root = cache_dir / PARSED
        # The target, once: its tags sorted (a target has hundreds) or "all" without a filter.
        target = "all" if accept is None else "\n".join(sorted(accept))
        self._target = hashlib.sha256(target.encode()).hexdigest()

    def key(self, sha256: str, content_type: str, page_url: str, project: str | None) -> str:
        """The entry's name: a digest of everything the parse depends on."""
        parts = [FORMAT, __version__, sha256, content_type, page_url, project, self._target]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def load(self, key: str, page_url: str) -> Parsed | None:
        """The Links stored under ``key``; None when there is no entry or it cannot be trusted
        (corrupt, truncated, another format's, another key's)."""
        try:
            data = (self._root / key[:2] / key).read_bytes()
        except OSError:
            return None
        digest, sep, payload = data.partition(b"\n")
        if not sep or hashlib.sha256(payload).hexdigest().encode() != digest:
            return None
        try:
            entry = json.loads(payload)
            if entry["format"] != FORMAT or entry["key"] != key:
                return None
            return Parsed(_links(entry["links"], page_url), int(entry["skipped"]))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def save(self, key: str, parsed: Parsed) -> None:
        """Store the Links parsed from a page (atomically; a cache that cannot be written only
        costs the next run the parse)."""
        rows = [_row(link) for link in parsed.links]
        entry = {"format": FORMAT, "key": key, "skipped": parsed.skipped, "links": rows}
        payload = json.dumps(entry, separators=(",", ":")).encode()
        digest = hashlib.sha256(payload).hexdigest().encode()
        store(self._root / key[:2] / key, digest + b"\n" + payload)


def _row(link: Link) -> list[object]:
    """One Link as a JSON list; ``source`` is the page's URL, given again when it is loaded."""
    tags = link.filename[:-4].split("-")[-3:] if link.tags is not None else None
    return [
        link.filename,
        link.url,
        link.project,
        str(link.version),
        "-".join(tags) if tags is not None else None,
        list(link.build),
        link.hashes,
        link.requires_python,
        link.yanked,
        link.core_metadata,
        link.size,
        link.upload_time,
    ]


def _links(rows: list[Any], page_url: str) -> list[Link]:
    versions: dict[str, Version] = {}
    tag_sets: dict[str, frozenset[Tag]] = {}
    links = []
    for row in rows:
        filename, url, project, version, tags, build, hashes, rp, yanked, meta, size, up = row
        if not isinstance(filename, str) or not isinstance(url, str) or not filename:
            raise TypeError
        parsed_version = versions.get(version)
        if parsed_version is None:
            parsed_version = versions[version] = Version(version)
        tag_set = None
        if tags is not None:
            tag_set = tag_sets.get(tags)
            if tag_set is None:
                tag_set = tag_sets[tags] = parse_tag(tags)
        built = (int(build[0]), str(build[1])) if build else ()
        links.append(
            Link(filename, url, project, parsed_version, tag_set, built, dict(hashes), rp,
                 yanked, None if meta is None else dict(meta), size, up, page_url)
        )  # fmt: skip
    return links
