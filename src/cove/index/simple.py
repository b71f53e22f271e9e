"""The Simple repository API: PEP 691 JSON and PEP 503 HTML project pages, and find-links
locations (a directory or an HTML page), parsed into Links. No I/O but reading a directory."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from packaging.utils import NormalizedName, canonicalize_name

from cove.index.models import Link, make_link

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT_HEADER = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)


def project_url(index_url: str, name: str) -> str:
    return index_url.rstrip("/") + "/" + canonicalize_name(name) + "/"


def _split_fragment(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    hashes = {}
    for piece in parts.fragment.split("&"):
        algo, sep, value = piece.partition("=")
        if sep and algo in ("sha256", "sha384", "sha512", "sha224", "sha1", "md5"):
            hashes[algo] = value.lower()
    return urlunsplit(parts._replace(fragment="")), hashes


def wheel_tag_strings(filename: str) -> set[str] | None:
    """The tags a wheel file name declares, as strings (``cp312-cp312-manylinux_2_17_x86_64``),
    without building packaging objects; None when the name is not a wheel's."""
    parts = filename[:-4].split("-")
    if not filename.endswith(".whl") or len(parts) not in (5, 6):
        return None
    py, abi, plat = parts[-3:]
    return {
        f"{i}-{a}-{p}".lower()
        for i in py.split(".")
        for a in abi.split(".")
        for p in plat.split(".")
    }


class Filter:
    """Skips wheels the target cannot use before any parsing, and remembers how many."""

    def __init__(self, accept: frozenset[str] | None) -> None:
        self.accept = accept
        self.skipped: list[str] = []

    def keep(self, filename: str) -> bool:
        if self.accept is None:
            return True
        tags = wheel_tag_strings(filename)
        if tags is None or tags & self.accept:
            return True
        self.skipped.append(filename)
        return False


def _metadata_attr(value: str | None) -> dict[str, str] | None:
    """data-core-metadata: "true" or "sha256=<hex>"; absent or "false" means no file."""
    if value is None or value.lower() == "false":
        return None
    algo, sep, digest = value.partition("=")
    return {algo: digest.lower()} if sep else {}


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "a":
            self._open = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text)))
            self._open = None


def _parse_html(
    body: bytes, page_url: str, want: NormalizedName | None, keep: Filter | None = None
) -> list[Link]:
    parser = _Anchors()
    parser.feed(body.decode("utf-8", errors="replace"))
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out = []
    for attrs, _text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, hashes = _split_fragment(urljoin(base, href))
        filename = unquote(url.rsplit("/", 1)[-1])
        if keep is not None and not keep.keep(filename):
            continue
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        link = make_link(
            filename,
            url,
            hashes=hashes,
            requires_python=attrs.get("data-requires-python") or None,
            yanked=attrs.get("data-yanked") if "data-yanked" in attrs else None,
            core_metadata=_metadata_attr(meta),
            source=page_url,
        )
        if link is not None and (want is None or link.project == want):
            out.append(link)
    return out


def _yanked_json(value: object) -> str | None:
    if value is True:
        return ""
    if isinstance(value, str) and value:
        return value
    return None


def _parse_json(
    body: bytes, page_url: str, want: NormalizedName | None, keep: Filter | None = None
) -> list[Link]:
    data = json.loads(body)
    out = []
    for entry in data.get("files", []):
        if keep is not None and not keep.keep(entry["filename"]):
            continue
        url, frag_hashes = _split_fragment(urljoin(page_url, entry["url"]))
        hashes = {k: str(v).lower() for k, v in (entry.get("hashes") or {}).items()}
        meta = entry.get("core-metadata", entry.get("dist-info-metadata"))
        link = make_link(
            entry["filename"],
            url,
            hashes=hashes or frag_hashes,
            requires_python=entry.get("requires-python") or None,
            yanked=_yanked_json(entry.get("yanked")),
            core_metadata=(
                None if meta in (None, False) else (dict(meta) if isinstance(meta, dict) else {})
            ),
            source=page_url,
        )
        if link is not None and (want is None or link.project == want):
            out.append(link)
    return out


def parse_project_page(
    body: bytes,
    content_type: str,
    page_url: str,
    project: str | None = None,
    keep: Filter | None = None,
) -> list[Link]:
    """Links on a project page (JSON or HTML, by content type); other projects' files dropped,
    and wheels ``keep`` refuses never parsed."""
    want = canonicalize_name(project) if project else None
    if content_type.split(";")[0].strip().lower() == JSON_TYPE:
        return _parse_json(body, page_url, want, keep)
    return _parse_html(body, page_url, want, keep)


def parse_find_links(location: Path | tuple[bytes, str], project: str) -> list[Link]:
    """Links for ``project`` in a find-links directory, or on a find-links page (body, url)."""
    want = canonicalize_name(project)
    if isinstance(location, tuple):
        return _parse_html(location[0], location[1], want)
    out = []
    try:
        entries = sorted(location.iterdir())
    except OSError:
        return []
    for path in entries:
        link = make_link(path.name, path.absolute().as_uri(), source=location.as_uri())
        if link is not None and link.project == want and path.is_file():
            out.append(link)
    return out
