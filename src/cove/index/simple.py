"""The Simple repository API parsed into Links: PEP 691 JSON and PEP 503 HTML project pages, and
find-links locations (a directory, an HTML file or page). Bytes in, values out; no network."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from packaging.utils import NormalizedName, canonicalize_name

from cove.errors import CoveError
from cove.http.urls import redact
from cove.index.models import Link, make_link

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
# JSON preferred, the versioned HTML next, plain HTML last (the q-values PEP 691 shows).
ACCEPT_HEADER = f"{JSON_TYPE}, {HTML_TYPE};q=0.2, text/html;q=0.01"
_JSON_TYPES = frozenset({JSON_TYPE, "application/vnd.pypi.simple.latest+json"})
_HTML_TYPES = frozenset({HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", ""})
_API_MAJOR = 1


class IndexPageError(CoveError):
    """A page is not a Simple API page cove understands (content type, API version, JSON)."""


def project_url(index_url: str, name: str) -> str:
    """The project page of ``name`` under an index root: its normalized name, trailing slash."""
    return index_url.rstrip("/") + "/" + canonicalize_name(name) + "/"


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
    """Skips wheels the target cannot use before any parsing (projects like numpy list
    thousands), and remembers how many it skipped for error messages."""

    def __init__(self, accept: frozenset[str] | None) -> None:
        self.accept = accept
        self.skipped: list[str] = []
        # A page names each tag triple again for every version (numpy: 40,000 wheels, a few
        # hundred triples): each triple is judged once.
        self._fits: dict[str, bool] = {}

    def keep(self, filename: str) -> bool:
        if self.accept is None or not filename.endswith(".whl"):
            return True
        parts = filename[:-4].split("-")
        if len(parts) not in (5, 6):
            return True  # not a wheel's name: make_link decides what it is
        triple = "-".join(parts[-3:])
        fits = self._fits.get(triple)
        if fits is None:
            tags = wheel_tag_strings(filename)
            fits = self._fits[triple] = tags is None or bool(tags & self.accept)
        if not fits:
            self.skipped.append(filename)
        return fits


def parse_project_page(
    body: bytes,
    content_type: str,
    page_url: str,
    project: str | None = None,
    keep: Filter | None = None,
) -> list[Link]:
    """The artifacts on a project page, by its content type; ``page_url`` is the final URL the
    page came from (relative links resolve against it). With ``project``, other projects' files
    are left out, as on a find-links page listing many. (What it makes of a page is cached:
    a change to that bumps ``cove.index.parsed.FORMAT``.)"""
    mime, charset = _content_type(content_type)
    want = canonicalize_name(project) if project else None
    if mime in _JSON_TYPES:
        return _parse_json(body, page_url, want, keep)
    if mime in _HTML_TYPES:
        return _parse_html(body, charset, page_url, want, keep)
    raise IndexPageError(
        f"{_redact(page_url)} answered {mime}, not a package index page",
        hint="check the index URL: it should be a PEP 503 or PEP 691 Simple API root",
    )


def parse_find_links(location: Path | tuple[bytes, str], project: str | None = None) -> list[Link]:
    """The artifacts a find-links location offers: a local directory (its files), a local HTML
    file or a fetched page given as (body, final URL) (the links on it), or one artifact file."""
    want = canonicalize_name(project) if project else None
    if isinstance(location, tuple):
        body, url = location
        return _parse_html(body, "utf-8", url, want)
    if location.is_dir():
        try:
            files = sorted(p for p in location.iterdir() if p.is_file())
        except OSError:
            return []
        return _keep([_local(p, want) for p in files], want)
    if location.suffix.lower() in (".html", ".htm"):
        try:
            data = location.read_bytes()
        except OSError:
            return []
        return _parse_html(data, "utf-8", location.absolute().as_uri(), want)
    if location.is_file():
        return _keep([_local(location, want)], want)
    return []


def _local(path: Path, want: NormalizedName | None) -> Link | None:
    directory = path.parent.absolute().as_uri() + "/"
    return make_link(path.name, path.absolute().as_uri(), project=want, source=directory)


def _keep(links: list[Link | None], want: NormalizedName | None) -> list[Link]:
    return [link for link in links if link is not None and (want is None or link.project == want)]


# -- PEP 691 JSON --------------------------------------------------------------------------------


def _parse_json(
    body: bytes, page_url: str, want: NormalizedName | None, keep: Filter | None = None
) -> list[Link]:
    def kept(entry: dict[str, object]) -> dict[str, object] | None:
        """A file entry the filter leaves out is dropped as soon as it is parsed, so the
        parsed page holds only what fits (json calls this for every object, innermost first)."""
        name = entry.get("filename")
        if keep is not None and isinstance(name, str) and "url" in entry and not keep.keep(name):
            return None
        return entry

    try:
        data = json.loads(body, object_hook=kept if keep is not None else None)
        files = data.get("files", [])
        version = str((data.get("meta") or {}).get("api-version", "1.0"))
        if not isinstance(files, list):
            raise TypeError
    except (ValueError, TypeError, AttributeError):
        raise IndexPageError(
            f"{_redact(page_url)} is not valid Simple API JSON",
            hint="the index sent a broken page; try again or use another index",
        ) from None
    _check_api_version(version, page_url)
    links: list[Link | None] = []
    for entry in files:
        if not isinstance(entry, dict) or not entry.get("filename") or not entry.get("url"):
            continue
        url, hashes = _split_url(_absolute(page_url, str(entry["url"])))
        hashes.update(_hashes(entry.get("hashes")))
        size = entry.get("size")
        links.append(
            make_link(
                str(entry["filename"]),
                url,
                project=want,
                hashes=hashes,
                requires_python=_str_or_none(entry.get("requires-python")),
                yanked=_json_yanked(entry.get("yanked")),
                core_metadata=_json_metadata(entry),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                upload_time=_str_or_none(entry.get("upload-time")),
                source=page_url,
            )
        )
    return _keep(links, want)


def _json_yanked(value: object) -> str | None:
    """true is yanked without a reason, a string is the reason, anything false is not yanked."""
    if not value:
        return None
    return value if isinstance(value, str) else ""


def _json_metadata(entry: dict[str, object]) -> dict[str, str] | None:
    """PEP 714's core-metadata, else PEP 658's older dist-info-metadata: true, false or hashes."""
    value = entry.get("core-metadata")
    if value is None:
        value = entry.get("dist-info-metadata")
    if isinstance(value, dict):
        return _hashes(value)
    return {} if value else None


def _hashes(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {
        str(k).lower(): str(v).lower()
        for k, v in value.items()
        if str(k).lower() in hashlib.algorithms_guaranteed and isinstance(v, str) and v
    }


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# -- PEP 503 HTML --------------------------------------------------------------------------------


def _parse_html(
    body: bytes,
    charset: str,
    page_url: str,
    want: NormalizedName | None,
    keep: Filter | None = None,
) -> list[Link]:
    """The links of an HTML page, decoded and fed to the parser a piece at a time (the page is
    never held twice, as bytes and as text), anchors the filter leaves out never stored."""
    import codecs
    import html  # HTML pages are the fallback: their parser is loaded only for them

    from cove.index.html_page import Anchors

    parser = Anchors(None if keep is None else lambda href: keep.keep(_filename(href)))
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    try:
        for start in range(0, len(body), _FEED):
            parser.feed(decoder.decode(body[start : start + _FEED]))
        parser.feed(decoder.decode(b"", final=True))
        parser.close()
    except (AssertionError, ValueError) as exc:  # html.parser's few refusals
        raise IndexPageError(
            f"{_redact(page_url)} is not an HTML page cove can read ({exc})",
            hint="the index sent a broken page; try again or use another index",
        ) from None
    if parser.api_version is not None:
        _check_api_version(parser.api_version, page_url)
    base = urljoin(page_url, parser.base) if parser.base else page_url
    links: list[Link | None] = []
    for attrs in parser.anchors:
        url, hashes = _split_url(_absolute(base, attrs["href"] or ""))
        filename = _filename(url)
        requires_python = attrs.get("data-requires-python")
        # data-yanked without a value is yanked without a reason; absent is not yanked.
        yanked = (attrs["data-yanked"] or "") if "data-yanked" in attrs else None
        links.append(
            make_link(
                filename,
                url,
                project=want,
                hashes=hashes,
                # Unescaped once more, as pip does, for pages that escape it twice.
                requires_python=_str_or_none(html.unescape(requires_python or "")),
                yanked=yanked,
                core_metadata=_html_metadata(attrs),
                source=page_url,
            )
        )
    return _keep(links, want)


def _html_metadata(attrs: dict[str, str | None]) -> dict[str, str] | None:
    """data-core-metadata (PEP 714), else data-dist-info-metadata (PEP 658): "true" or
    "<hashname>=<hex>"; any other value still says the file exists, as pip reads it."""
    if "data-core-metadata" in attrs:
        value = attrs["data-core-metadata"]
    elif "data-dist-info-metadata" in attrs:
        value = attrs["data-dist-info-metadata"]
    else:
        return None
    algo, sep, digest = (value or "").partition("=")
    if sep and algo.lower() in hashlib.algorithms_guaranteed and digest:
        return {algo.lower(): digest.lower()}
    return {}


# -- URLs ----------------------------------------------------------------------------------------

_FEED = 1 << 20  # bytes of an HTML page decoded and parsed at a time


def _filename(url: str) -> str:
    """The file a link names: its path's last part, unquoted (a relative href works too)."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


# An http(s) URL whose path has only characters quoting leaves alone (what nearly every index
# file URL is): no parsing needed, which is most of the cost of reading a large page.
_PLAIN_URL = re.compile(r"https?://[^/?#%@]*(?:/[A-Za-z0-9._~/-]*)?")


def _absolute(page_url: str, url: str) -> str:
    """``urljoin`` for a link on a page, without parsing one that is absolute already, nor one
    relative to the host's root (``/files/x.whl``) with no dot segment to remove."""
    if url.startswith(("https://", "http://")):
        return url
    if url.startswith("/") and not url.startswith("//") and "/." not in url:
        scheme, sep, rest = page_url.partition("://")
        if sep and scheme in ("http", "https"):
            return f"{scheme}://{re.split(r'[/?#]', rest, maxsplit=1)[0]}{url}"
    return urljoin(page_url, url)


def _split_url(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its fragment, with unsafe path characters quoted, and the hashes the
    fragment carries (``#sha256=<hex>``, several joined by ``&``)."""
    base, _, fragment = url.partition("#")
    hashes = {}
    for piece in fragment.split("&"):
        algo, sep, digest = piece.partition("=")
        if sep and algo.lower() in hashlib.algorithms_guaranteed and digest:
            hashes[algo.lower()] = digest.lower()
    if _PLAIN_URL.fullmatch(base):
        return base, hashes
    parts = urlsplit(base)
    # Quote each path segment the way pip does, so the URL asked for is the one pip asks for
    # (a literal + becomes %2B, which object stores need), keeping @ and escaped slashes.
    safe = "@:" if parts.scheme == "file" else "@"
    path = "/".join(
        "".join(
            piece if piece.upper() == "%2F" else quote(unquote(piece), safe=safe)
            for piece in re.split(r"(%2F)", segment, flags=re.IGNORECASE)
        )
        for segment in parts.path.split("/")
    )
    return urlunsplit(parts._replace(path=path, fragment="")), hashes


def _content_type(value: str) -> tuple[str, str]:
    """(mime type, charset) of a Content-Type header; UTF-8 unless it names another."""
    mime, *params = value.split(";")
    charset = "utf-8"
    for param in params:
        key, _, val = param.strip().partition("=")
        if key.lower() == "charset" and val:
            charset = val.strip("\"'")
    try:
        "".encode(charset)
    except LookupError:
        charset = "utf-8"
    return mime.strip().lower(), charset


def _check_api_version(version: str, page_url: str) -> None:
    found = re.match(r"\s*(\d+)", version)
    if found and int(found.group(1)) != _API_MAJOR:
        raise IndexPageError(
            f"{_redact(page_url)} speaks Simple API version {version}; cove knows {_API_MAJOR}.x",
            hint="use an index that serves version 1 of the Simple API",
        )


_redact = redact
