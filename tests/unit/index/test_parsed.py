"""The parsed-page cache (issue 12): a project page whose bytes did not change since it was
parsed for the same target is not parsed again; a changed page, another target and a damaged
entry are. Through the real finder and HTTP client against an index server on 127.0.0.1, with
the parser counted (it still runs: a spy, not a stand-in)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cove.cache import PAGES, PARSED
from cove.http.client import HttpClient, HttpOptions
from cove.index.finder import Finder, Found, Locations
from cove.index.models import Link
from cove.index.simple import parse_project_page
from tests.support.dists import WheelSpec
from tests.support.index import Index, IndexServer, ServerOptions

PURE = frozenset({"py3-none-any"})
LINUX = frozenset({"py3-none-any", "cp312-cp312-manylinux_2_17_x86_64"})


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every page the finder parses, in order."""
    seen: list[str] = []

    def counted(body: bytes, content_type: str, page_url: str, *args: object) -> list[Link]:
        seen.append(page_url)
        return parse_project_page(body, content_type, page_url, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("cove.index.finder.parse_project_page", counted)
    return seen


@pytest.fixture(params=[True, False], ids=["revalidated-304", "same-body-200"])
def etag(request: pytest.FixtureRequest) -> bool:
    """Whether the index sends validators (a 304 for an unchanged page) or the page again."""
    return bool(request.param)


@pytest.fixture
def demo(index: Index) -> Index:
    """A project with a pure wheel, a platform wheel, a yanked one and an sdist-like spread of
    what a page can say about a file (requires-python, metadata hashes)."""
    index.add("demo", "1.0")
    index.add("demo", "1.1", requires_python=">=3.8")
    index.add("demo", "1.2", yanked="broken")
    index.add_wheel(WheelSpec("demo", "1.3", tag="cp312-cp312-manylinux_2_17_x86_64"))
    return index


def find(cache: Path | None, server: IndexServer, accept: frozenset[str] | None = PURE) -> Found:
    """One run's lookup of ``demo``: a client and finder of its own, as a new cove process has."""
    client = HttpClient(HttpOptions(cache_dir=cache, retries=1, environ={}))
    return Finder(client, Locations((server.url,)), accept, lambda _: None).find("demo")  # type: ignore[arg-type]


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / PARSED).rglob("*") if p.is_file())


def versions(found: Found) -> list[str]:
    return sorted(str(link.version) for link in found.links)


def test_an_unchanged_page_is_parsed_once(
    tmp_path: Path, demo: Index, parses: list[str], etag: bool
) -> None:
    cache = tmp_path / "cache"
    with IndexServer(demo, ServerOptions(etag=etag)) as server:
        first = find(cache, server)
        second = find(cache, server)
        assert server.count("/simple/demo/") == 2  # asked both times: the page was not fresh
    assert parses == [server.url + "demo/"]
    assert versions(first) == ["1.0", "1.1", "1.2"] and first.skipped == 1
    # Every field comes back: hashes, requires-python, yanked, metadata, tags, where it was seen.
    assert second.links == first.links and second.skipped == first.skipped
    assert [link.source for link in second.links] == [link.source for link in first.links]
    assert {link.yanked for link in second.links} == {None, "broken"}
    assert all(link.core_metadata for link in second.links)
    assert len(entries(cache)) == 1


def test_a_changed_page_is_parsed_again_and_its_new_files_are_seen(
    tmp_path: Path, demo: Index, parses: list[str]
) -> None:
    cache = tmp_path / "cache"
    with IndexServer(demo, ServerOptions(etag=False)) as server:
        find(cache, server)
        assert versions(find(cache, server)) == ["1.0", "1.1", "1.2"]
        assert len(parses) == 1
        demo.add("demo", "2.0")
        assert versions(find(cache, server)) == ["1.0", "1.1", "1.2", "2.0"]
        assert len(parses) == 2
        assert versions(find(cache, server)) == ["1.0", "1.1", "1.2", "2.0"]
        assert len(parses) == 2  # the new page's links were kept too
    assert len(entries(cache)) == 2  # one per body; the old one is harmless


def _rewrite(entry: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Change an entry's JSON and give it a checksum that matches, as a foreign writer would."""
    data = json.loads(entry.read_bytes().partition(b"\n")[2])
    change(data)
    payload = json.dumps(data).encode()
    entry.write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def _set(key: str, value: object) -> Callable[[Path], object]:
    return lambda entry: _rewrite(entry, lambda data: data.__setitem__(key, value))


def _drop_a_link(entry: Path) -> None:
    data = entry.read_bytes()
    entry.write_bytes(data.replace(b'"1.1"', b'"9.9"'))  # the checksum no longer matches


DAMAGE: dict[str, Callable[[Path], object]] = {
    "truncated": lambda entry: entry.write_bytes(entry.read_bytes()[:100]),
    "empty": lambda entry: entry.write_bytes(b""),
    "garbage": lambda entry: entry.write_bytes(b"\x00\xff not json at all"),
    "changed-without-checksum": _drop_a_link,
    "other-format": _set("format", 999),
    "other-key": _set("key", "0" * 64),
    "rows-of-another-shape": _set("links", [["x.whl", "http://h/x.whl"]]),
    "bad-version": lambda entry: _rewrite(
        entry,
        lambda data: data["links"][0].__setitem__(3, "not a version"),  # type: ignore[index]
    ),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_entry_is_ignored_and_rebuilt(
    tmp_path: Path, demo: Index, parses: list[str], damage: Callable[[Path], object]
) -> None:
    cache = tmp_path / "cache"
    with IndexServer(demo) as server:
        first = find(cache, server)
        [entry] = entries(cache)
        damage(entry)
        again = find(cache, server)
        assert again.links == first.links and again.skipped == first.skipped
        assert len(parses) == 2
        assert find(cache, server).links == first.links
        assert len(parses) == 2  # the rebuilt entry is used
    assert entries(cache) == [entry]


def test_another_target_does_not_reuse_an_entry(
    tmp_path: Path, demo: Index, parses: list[str]
) -> None:
    cache = tmp_path / "cache"
    with IndexServer(demo) as server:
        pure, linux, everything = (find(cache, server, t) for t in (PURE, LINUX, None))
        assert len(parses) == 3
        assert versions(pure) == ["1.0", "1.1", "1.2"] and pure.skipped == 1
        assert versions(linux) == ["1.0", "1.1", "1.2", "1.3"] and linux.skipped == 0
        assert versions(everything) == versions(linux)
        assert find(cache, server, PURE) == pure and find(cache, server, LINUX) == linux
        assert len(parses) == 3
    assert len(entries(cache)) == 3


def test_without_a_cache_nothing_is_stored_and_every_page_is_parsed(
    tmp_path: Path, demo: Index, parses: list[str]
) -> None:
    with IndexServer(demo) as server:
        cached = tmp_path / "cache"
        find(cached, server)
        assert len(entries(cached)) == 1
        find(None, server)
        find(None, server)
    assert len(parses) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "index"]


def test_an_unwritable_cache_only_costs_the_parse(
    tmp_path: Path, demo: Index, parses: list[str]
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / PARSED).write_bytes(b"")  # a file where the bucket's directory would go
    with IndexServer(demo) as server:
        assert versions(find(cache, server)) == ["1.0", "1.1", "1.2"]
        assert versions(find(cache, server)) == ["1.0", "1.1", "1.2"]
    assert len(parses) == 2


def _drop_bodies(cache: Path) -> list[Path]:
    """Remove every page body the page cache holds (what is known of each page stays)."""
    bodies = sorted((cache / PAGES).rglob("*.body"))
    for body in bodies:
        body.unlink()
    return bodies


def test_a_page_whose_links_are_cached_is_revalidated_without_its_body(
    tmp_path: Path, demo: Index, parses: list[str]
) -> None:
    # The page's body is not even read: gone from the cache, it is still revalidated (304)
    # from what is known of it, and its Links come from the parsed-page cache.
    cache = tmp_path / "cache"
    with IndexServer(demo, ServerOptions(etag=True)) as server:
        first = find(cache, server)
        assert _drop_bodies(cache)
        second = find(cache, server)
        asked = server.headers_of("/simple/demo/")
    assert len(asked) == 2 and "If-None-Match" in asked[1]
    assert parses == [server.url + "demo/"]
    assert second.links == first.links and second.skipped == first.skipped


def test_a_page_whose_links_are_not_cached_is_read_and_its_body_kept(
    tmp_path: Path, demo: Index, parses: list[str], etag: bool
) -> None:
    # Another target needs the body: a missing one is fetched whole and stored again; with
    # no validators, a body gone from the cache comes back with the page.
    cache = tmp_path / "cache"
    with IndexServer(demo, ServerOptions(etag=etag)) as server:
        find(cache, server)
        bodies = _drop_bodies(cache)
        if not etag:
            find(cache, server)  # the same target: the Links are known, the body comes back
            assert all(body.is_file() for body in bodies)
            _drop_bodies(cache)
        other = find(cache, server, LINUX)
        asked = server.headers_of("/simple/demo/")
    assert "If-None-Match" not in asked[-1]
    assert all(body.is_file() for body in bodies)
    assert parses == [server.url + "demo/"] * 2
    assert versions(other) == ["1.0", "1.1", "1.2", "1.3"]


def test_a_page_served_again_whose_links_are_known_is_not_written_again(
    tmp_path: Path, demo: Index
) -> None:
    # An index without validators sends every page whole on every run: when its bytes are
    # the ones stored and their Links are known, the stored body is left as it is (a large
    # project's page is megabytes); one cut short is written again.
    cache = tmp_path / "cache"
    with IndexServer(demo, ServerOptions(etag=False)) as server:
        find(cache, server)
        (body,) = sorted((cache / PAGES).rglob("*.body"))
        before = body.stat()
        again = find(cache, server)
        kept = body.stat()
        body.write_bytes(body.read_bytes()[:10])
        find(cache, server)
        repaired = body.read_bytes()
    assert versions(again) == ["1.0", "1.1", "1.2"]
    assert (kept.st_ino, kept.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (
        hashlib.sha256(repaired).hexdigest()
        == json.loads(body.with_suffix(".json").read_text())["sha256"]
    )
