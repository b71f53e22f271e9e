"""The anchors of a PEP 503 HTML page, with its <base href> and API version meta; a module of
its own so the HTML parser is imported only when an index serves HTML."""

from __future__ import annotations

from html.parser import HTMLParser


class Anchors(HTMLParser):
    """Collects the attributes of every <a>, the first <base href> and the API version meta."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.api_version: str | None = None
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.anchors.append(values)
        elif tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content")
