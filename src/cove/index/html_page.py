"""The anchors of a PEP 503 HTML page, with its <base href> and API version meta; a module of
its own so the HTML parser is imported only when an index serves HTML."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser


class Anchors(HTMLParser):
    """Collects the attributes of every <a> whose href ``keep`` takes (all without one), the
    first <base href> and the API version meta. Anchors left out are never stored: a large
    project's page lists thousands of files for other platforms."""

    def __init__(self, keep: Callable[[str], bool] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.api_version: str | None = None
        self.anchors: list[dict[str, str | None]] = []
        self._keep = keep

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        href = values.get("href")
        if tag == "a" and href:
            if self._keep is None or self._keep(href):
                self.anchors.append(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content")
