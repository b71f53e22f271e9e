"""Simple API pages (PEP 691 JSON, PEP 503 HTML) and find-links locations parsed into Links."""

from __future__ import annotations

import hashlib
import json
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.version import Version

from cove.index.models import Link, make_link, parse_sdist_name
from cove.index.simple import (
    ACCEPT_HEADER,
    Filter,
    IndexPageError,
    parse_find_links,
    parse_project_page,
    project_url,
)
from tests.support.dists import WheelSpec, build_sdist
from tests.support.index import Index, IndexServer

PAGE = "http://127.0.0.1:9/simple/flask/"
JSON = "application/vnd.pypi.simple.v1+json"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def flask(tmp_path: Path) -> Index:
    """Flask 2.0 (wheel with metadata), 2.1 (yanked with a reason), 2.2 sdist, 3.0 needs 3.13."""
    index = Index(tmp_path / "index")
    index.add("Flask", "2.0", requires_python=">=3.8")
    index.add_wheel(WheelSpec("Flask", "2.1"), yanked="broken <build> & more")
    index.add_file(build_sdist(tmp_path / "sd", "Flask", "2.2"), requires_python=">=3.8, <4")
    index.add("Flask", "3.0", requires_python=">=3.13")
    return index


def test_json_page(flask: Index) -> None:
    body = json.dumps(flask.project_json("flask", "/files/")).encode()
    links = parse_project_page(body, JSON, PAGE)
    assert [link.filename for link in links] == [
        "flask-2.0-py3-none-any.whl",
        "flask-2.1-py3-none-any.whl",
        "flask-2.2.tar.gz",
        "flask-3.0-py3-none-any.whl",
    ]
    first = links[0]
    wheel = flask.root / "files" / first.filename
    meta = Path(str(wheel) + ".metadata")
    assert first.url == "http://127.0.0.1:9/files/flask-2.0-py3-none-any.whl"
    assert first.metadata_url == first.url + ".metadata"
    assert first.hashes == {"sha256": _sha(wheel)}
    assert first.core_metadata == {"sha256": _sha(meta)}
    assert first.requires_python == ">=3.8"
    assert first.yanked is None and not first.is_yanked
    assert first.project == "flask" and first.version == Version("2.0")
    assert first.tags == frozenset({Tag("py3", "none", "any")}) and first.build == ()
    assert first.is_wheel
    assert first.source == PAGE
    assert links[1].yanked == "broken <build> & more"
    sdist = links[2]
    assert not sdist.is_wheel and sdist.tags is None
    assert sdist.core_metadata is None and sdist.requires_python == ">=3.8, <4"


def test_html_page_gives_the_same_links_as_json(flask: Index) -> None:
    html = flask.project_html("flask", "/files/").encode()
    from_html = parse_project_page(html, "text/html", PAGE)
    body = json.dumps(flask.project_json("flask", "/files/")).encode()
    from_json = parse_project_page(body, JSON, PAGE)
    # Only JSON pages carry sizes and upload times (PEP 700); the rest is the same.
    assert all(link.size and link.upload_time for link in from_json)
    assert from_html == [replace(link, size=None, upload_time=None) for link in from_json]
    # The escaped attributes come back unescaped.
    assert from_html[1].yanked == "broken <build> & more"
    assert from_html[2].requires_python == ">=3.8, <4"


def test_file_index_resolves_relative_links_against_the_page(flask: Index) -> None:
    page = flask.root / "simple" / "flask" / "index.html"
    links = parse_project_page(page.read_bytes(), "text/html", page.as_uri())
    for link in links:
        assert link.url == (flask.root / "files" / link.filename).as_uri()


def test_served_pages_parse_by_their_content_type(flask: Index) -> None:
    with IndexServer(flask) as server:
        url = project_url(server.url, "Flask")
        found = {}
        for accept in (ACCEPT_HEADER, "text/html"):
            request = urllib.request.Request(url, headers={"Accept": accept})
            with urllib.request.urlopen(request, timeout=10) as resp:
                ctype = resp.headers["Content-Type"]
                found[ctype] = parse_project_page(resp.read(), ctype, resp.url)
    assert set(found) == {JSON, "application/vnd.pypi.simple.v1+html"}
    json_links, html_links = found.values()
    assert [replace(link, size=None, upload_time=None) for link in json_links] == html_links
    assert len(json_links) == 4
    assert json_links[0].url == f"http://127.0.0.1:{server.port}/files/flask-2.0-py3-none-any.whl"


def test_accept_header_and_project_url() -> None:
    assert ACCEPT_HEADER == (
        "application/vnd.pypi.simple.v1+json, "
        "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
    )
    assert project_url("http://127.0.0.1/simple", "Foo.Bar_baz") == (
        "http://127.0.0.1/simple/foo-bar-baz/"
    )
    assert project_url("http://127.0.0.1/simple/", "flask") == "http://127.0.0.1/simple/flask/"


def _html(*anchors: str, head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body>{''.join(anchors)}</body></html>".encode()
    )


def test_base_href_is_honoured_and_resolved_against_the_page() -> None:
    body = _html(
        '<a href="a-1.0.tar.gz">a</a>',
        '<a href="/abs/a-2.0.tar.gz">a</a>',
        head='<base href="../../mirror/files/">',
    )
    links = parse_project_page(body, "text/html", "http://127.0.0.1:9/simple/a/")
    assert [link.url for link in links] == [
        "http://127.0.0.1:9/mirror/files/a-1.0.tar.gz",
        "http://127.0.0.1:9/abs/a-2.0.tar.gz",
    ]
    other = _html('<a href="a-1.0.tar.gz">a</a>', head='<base href="http://10.0.0.1/pkgs/">')
    assert parse_project_page(other, "text/html", PAGE)[0].url == (
        "http://10.0.0.1/pkgs/a-1.0.tar.gz"
    )


def test_fragments_give_hashes_and_leave_the_url() -> None:
    body = _html(
        '<a href="a-1.0.tar.gz#sha256=ABCDEF">a</a>',
        '<a href="a-2.0.tar.gz#md5=11&amp;sha512=22">a</a>',
        '<a href="a-3.0.tar.gz#egg=a">a</a>',
        '<a href="a-4.0.tar.gz#nothash=1">a</a>',
    )
    links = parse_project_page(body, "text/html", PAGE)
    assert [link.hashes for link in links] == [
        {"sha256": "abcdef"},
        {"md5": "11", "sha512": "22"},
        {},
        {},
    ]
    assert all("#" not in link.url for link in links)


def test_json_hashes_win_over_the_url_fragment() -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "files": [
            {"filename": "a-1.0.tar.gz", "url": "a-1.0.tar.gz#sha256=aa&md5=bb", "hashes": {}},
            {
                "filename": "a-2.0.tar.gz",
                "url": "https://10.0.0.1/x/a-2.0.tar.gz#sha256=aa",
                "hashes": {"sha256": "CC", "bogus": "1"},
                "size": 1234,
                "upload-time": "2024-01-02T03:04:05.000000Z",
            },
        ],
    }
    links = parse_project_page(json.dumps(page).encode(), f"{JSON}; charset=utf-8", PAGE)
    assert links[0].hashes == {"sha256": "aa", "md5": "bb"}
    assert links[0].url == PAGE + "a-1.0.tar.gz"
    assert links[1].hashes == {"sha256": "cc"}
    assert links[1].url == "https://10.0.0.1/x/a-2.0.tar.gz"
    assert links[1].size == 1234 and links[1].upload_time == "2024-01-02T03:04:05.000000Z"


@pytest.mark.parametrize(
    "attr, expected",
    [
        ("", None),
        ("data-yanked", ""),
        ('data-yanked=""', ""),
        ('data-yanked="security &amp; &lt;bugs&gt;"', "security & <bugs>"),
    ],
)
def test_html_yanked(attr: str, expected: str | None) -> None:
    body = _html(f'<a href="a-1.0.tar.gz" {attr}>a-1.0.tar.gz</a>')
    assert parse_project_page(body, "text/html", PAGE)[0].yanked == expected


@pytest.mark.parametrize(
    "value, expected", [(None, None), (False, None), ("", None), (True, ""), ("bad", "bad")]
)
def test_json_yanked(value: object, expected: str | None) -> None:
    entry: dict[str, object] = {"filename": "a-1.0.tar.gz", "url": "a-1.0.tar.gz", "hashes": {}}
    if value is not None:
        entry["yanked"] = value
    body = json.dumps({"meta": {"api-version": "1.0"}, "files": [entry]}).encode()
    assert parse_project_page(body, JSON, PAGE)[0].yanked == expected


@pytest.mark.parametrize(
    "attrs, expected",
    [
        ("", None),
        ('data-core-metadata="true"', {}),
        ('data-core-metadata="sha256=ABC"', {"sha256": "abc"}),
        ('data-dist-info-metadata="sha256=abc"', {"sha256": "abc"}),
        ('data-dist-info-metadata="true"', {}),
        ('data-core-metadata="sha256=new" data-dist-info-metadata="sha256=old"', {"sha256": "new"}),
        ('data-core-metadata="nonsense"', {}),
    ],
)
def test_html_metadata_keys(attrs: str, expected: dict[str, str] | None) -> None:
    body = _html(f'<a href="a-1.0-py3-none-any.whl" {attrs}>a</a>')
    assert parse_project_page(body, "text/html", PAGE)[0].core_metadata == expected


@pytest.mark.parametrize(
    "keys, expected",
    [
        ({}, None),
        ({"core-metadata": True}, {}),
        ({"core-metadata": False}, None),
        ({"core-metadata": {"sha256": "AB"}}, {"sha256": "ab"}),
        ({"dist-info-metadata": {"sha256": "ab"}}, {"sha256": "ab"}),
        ({"dist-info-metadata": True}, {}),
        ({"core-metadata": False, "dist-info-metadata": True}, None),  # the newer key wins
        (
            {"core-metadata": {"sha256": "new"}, "dist-info-metadata": {"sha256": "old"}},
            {"sha256": "new"},
        ),
    ],
)
def test_json_metadata_keys(keys: dict[str, object], expected: dict[str, str] | None) -> None:
    entry = {"filename": "a-1.0-py3-none-any.whl", "url": "a-1.0-py3-none-any.whl", **keys}
    body = json.dumps({"meta": {"api-version": "1.1"}, "files": [entry]}).encode()
    assert parse_project_page(body, JSON, PAGE)[0].core_metadata == expected


def test_invalid_filenames_and_other_links_are_skipped() -> None:
    body = _html(
        '<a href="../">parent</a>',
        "<a>no href</a>",
        '<a href="README.txt">readme</a>',
        '<a href="a-1.0.tar.gz.asc">signature</a>',
        '<a href="a-notaversion.tar.gz">bad version</a>',
        '<a href="a.whl">bad wheel</a>',
        '<a href="a-1.0-py3-none.whl">short wheel</a>',
        '<a href="a-1.0-py3-none-any.whl">good</a>',
        '<a href="sub/A_b-2.0.ZIP">good too</a>',
        '<a href="evil%2F..%2Fa-1.0.tar.gz">escaping</a>',
    )
    links = parse_project_page(body, "text/html", PAGE)
    assert [(link.filename, str(link.version)) for link in links] == [
        ("a-1.0-py3-none-any.whl", "1.0"),
        ("A_b-2.0.ZIP", "2.0"),
    ]
    page = {
        "meta": {"api-version": "1.0"},
        "files": [
            {"filename": "../a-1.0-py3-none-any.whl", "url": "x.whl"},
            {"filename": "a-1.0-py3-none-any.whl"},
            "not an object",
            {"filename": "a-1.0-py3-none-any.whl", "url": "a-1.0-py3-none-any.whl"},
        ],
    }
    links = parse_project_page(json.dumps(page).encode(), JSON, PAGE)
    assert [link.url for link in links] == [PAGE + "a-1.0-py3-none-any.whl"]


def test_other_projects_are_left_out_when_the_project_is_named() -> None:
    body = _html(
        '<a href="flask-2.0-py3-none-any.whl">f</a>',
        '<a href="Flask-1.0.tar.gz">f</a>',
        '<a href="flask_login-1.0-py3-none-any.whl">other</a>',
        '<a href="flask-login-1.0.tar.gz">other</a>',
    )
    links = parse_project_page(body, "text/html", PAGE, project="Flask")
    assert [link.filename for link in links] == ["flask-2.0-py3-none-any.whl", "Flask-1.0.tar.gz"]
    assert len(parse_project_page(body, "text/html", PAGE)) == 4


def test_unsafe_characters_in_urls_are_quoted_once() -> None:
    body = _html(
        '<a href="my files/a-1.0+local.tar.gz">a</a>',
        '<a href="x%2By/a-2.0.tar.gz">a</a>',
        '<a href="@x/a%2Fb%2f/a-3.0.tar.gz">a</a>',
    )
    links = parse_project_page(body, "text/html", PAGE)
    assert links[0].url == PAGE + "my%20files/a-1.0%2Blocal.tar.gz"
    assert links[0].filename == "a-1.0+local.tar.gz"
    assert links[0].version == Version("1.0+local")
    assert links[1].url == PAGE + "x%2By/a-2.0.tar.gz"
    assert links[2].url == PAGE + "@x/a%2Fb%2f/a-3.0.tar.gz"


def test_html_charset_from_the_content_type() -> None:
    body = '<a href="a-1.0.tar.gz" data-yanked="caf\xe9">a</a>'.encode("latin-1")
    links = parse_project_page(body, "text/html; charset=ISO-8859-1", PAGE)
    assert links[0].yanked == "caf\xe9"


@pytest.mark.parametrize(
    "body, ctype",
    [
        (b"{}", "application/json"),
        (b"plain", "text/plain"),
        (b"{not json", JSON),
        (b'{"files": {}}', JSON),
        (b'{"meta": {"api-version": "2.0"}, "files": []}', JSON),
        (_html(head='<meta name="pypi:repository-version" content="2.0">'), "text/html"),
    ],
)
def test_pages_cove_cannot_read_raise(body: bytes, ctype: str) -> None:
    with pytest.raises(IndexPageError) as err:
        parse_project_page(body, ctype, "http://user:secret@127.0.0.1/simple/a/")
    assert "secret" not in err.value.message and err.value.hint


def test_newer_minor_api_versions_are_read() -> None:
    body = _html('<a href="a-1.0.tar.gz">a</a>', head='<meta name="pypi:repository-version" '
                 'content="1.4">')  # fmt: skip
    assert len(parse_project_page(body, "text/html", PAGE)) == 1
    page = {
        "meta": {"api-version": "1.9"},
        "files": [{"filename": "a-1.0.tar.gz", "url": "u/a-1.0.tar.gz"}],
    }
    assert len(parse_project_page(json.dumps(page).encode(), JSON, PAGE)) == 1


def test_find_links_directory(tmp_path: Path) -> None:
    d = tmp_path / "wheels dir"
    d.mkdir()
    for name in (
        "flask-2.0-py3-none-any.whl",
        "Flask-1.0.tar.gz",
        "flask-1.0-beta.zip",
        "other-1.0-py3-none-any.whl",
        "notes.txt",
    ):
        (d / name).write_bytes(b"x")
    (d / "flask-9.0.tar.gz").mkdir()  # a directory is no artifact
    links = parse_find_links(d, "flask")
    assert [(link.filename, str(link.version)) for link in links] == [
        ("Flask-1.0.tar.gz", "1.0"),
        ("flask-1.0-beta.zip", "1.0b0"),
        ("flask-2.0-py3-none-any.whl", "2.0"),
    ]
    assert links[2].url == (d / "flask-2.0-py3-none-any.whl").as_uri()
    assert "%20" in links[2].url and links[2].hashes == {}
    # Without the project, the last dash ends the name: flask-1.0-beta.zip is nobody's.
    assert len(parse_find_links(d)) == 3
    assert parse_find_links(d / "flask-2.0-py3-none-any.whl", "flask")[0].filename == (
        "flask-2.0-py3-none-any.whl"
    )
    assert parse_find_links(d / "flask-2.0-py3-none-any.whl", "other") == []
    assert parse_find_links(tmp_path / "missing", "flask") == []


def test_find_links_html_file_and_page(tmp_path: Path) -> None:
    page = tmp_path / "links.html"
    page.write_text(
        '<a href="dl/flask-2.0-py3-none-any.whl#sha256=ab">f</a>'
        '<a href="https://10.0.0.1/other-1.0.tar.gz">o</a>'
    )
    links = parse_find_links(page, "flask")
    assert [link.url for link in links] == [(tmp_path / "dl/flask-2.0-py3-none-any.whl").as_uri()]
    assert links[0].hashes == {"sha256": "ab"}
    fetched = parse_find_links((page.read_bytes(), "http://127.0.0.1:9/links/"))
    assert [link.url for link in fetched] == [
        "http://127.0.0.1:9/links/dl/flask-2.0-py3-none-any.whl",
        "https://10.0.0.1/other-1.0.tar.gz",
    ]


def test_sdist_names() -> None:
    assert parse_sdist_name("python-dateutil-2.8.2.tar.gz") == ("python-dateutil", Version("2.8.2"))
    assert parse_sdist_name("Foo_Bar-2.0.tar.bz2") == ("foo-bar", Version("2.0"))
    assert parse_sdist_name("foo-1.0-beta.tar.gz") is None
    assert parse_sdist_name("foo-1.0-beta.tar.gz", "foo") == ("foo", Version("1.0b0"))
    assert parse_sdist_name("foo-1.0.rar") is None
    assert parse_sdist_name("-1.0.tar.gz") is None


def test_make_link_and_its_values() -> None:
    link = make_link("Foo-1.0-2-cp312-abi3-manylinux_2_17_x86_64.whl", "file:///w/x.whl")
    assert isinstance(link, Link)
    assert link.project == "foo" and link.build == (2, "")
    assert link.tags == frozenset({Tag("cp312", "abi3", "manylinux_2_17_x86_64")})
    assert str(link) == link.filename
    same = make_link("Foo-1.0-2-cp312-abi3-manylinux_2_17_x86_64.whl", "file:///w/x.whl")
    assert same == link and hash(same) == hash(link)
    with pytest.raises(AttributeError):
        link.url = "elsewhere"  # type: ignore[misc]
    assert make_link("..foo-1.0.tar.gz", "u") is None
    assert make_link("a\\b-1.0.tar.gz", "u") is None


def test_a_page_html_parser_refuses_is_an_error_naming_it() -> None:
    """html.parser raises on a few shapes (an unknown marked section): a page error, not a
    traceback."""
    url = "https://index.example/simple/demo/"
    with pytest.raises(IndexPageError, match=r"demo/ is not an HTML page cove can read"):
        parse_project_page(b"<html><![bogus]]><a href='x.whl'>x</a>", "text/html", url)


def test_html_pages_are_parsed_a_piece_at_a_time() -> None:
    """A page fed to the parser in pieces gives the links it gives whole: anchors and
    multi-byte characters split across pieces, and the filter applied before storing."""
    from cove.index import simple

    names = [f"d\u00e9mo-{n}.0-py3-none-{'any' if n % 3 else 'win_amd64'}.whl" for n in range(60)]
    page = "".join(f'<a href="/files/{n}#sha256={n.encode().hex()[:16]}">{n}</a>\n' for n in names)
    body = f"<html><body>\n{page}</body></html>".encode()
    url = "https://index.example/simple/demo/"
    whole = parse_project_page(body, "text/html", url)
    keep = simple.Filter(frozenset({"py3-none-any"}))
    feed, simple._FEED = simple._FEED, 7  # pieces smaller than an anchor, or a character
    try:
        pieces = parse_project_page(body, "text/html", url)
        kept = parse_project_page(body, "text/html", url, keep=keep)
    finally:
        simple._FEED = feed
    assert [link.filename for link in pieces] == [link.filename for link in whole] == names
    assert [link.filename for link in kept] == [n for n in names if n.endswith("any.whl")]
    assert len(keep.skipped) == 20


@pytest.mark.parametrize(
    "href",
    [
        "/files/a-1.0-py3-none-any.whl",
        "/files/../other/a-1.0.tar.gz",
        "/./files/a.whl",
        "//mirror.example/files/a.whl",
        "../../files/a-1.0-py3-none-any.whl",
        "a-1.0-py3-none-any.whl",
        "https://files.example/a.whl",
    ],
)
@pytest.mark.parametrize(
    "page",
    [
        "http://127.0.0.1:8000/simple/a/",
        "https://user:secret@index.example/root/simple/a/?page=1",
        "https://index.example",
    ],
)
def test_links_are_made_absolute_as_urljoin_makes_them(page: str, href: str) -> None:
    """The fast paths for absolute and root-relative links give what urljoin gives."""
    from urllib.parse import urljoin

    from cove.index.simple import _absolute

    assert _absolute(page, href) == urljoin(page, href)


def test_the_filter_judges_each_tag_triple_as_the_target_reads_it() -> None:
    # Triples repeat for every version (each is judged once): compressed tag sets fit when
    # any of their tags does, case does not matter, and a name that is no wheel's is kept for
    # make_link to judge.
    keep = Filter(frozenset({"py3-none-any", "cp312-cp312-manylinux_2_17_x86_64"}))
    names = {
        "demo-1.0-py3-none-any.whl": True,
        "demo-1.1-py3-none-any.whl": True,
        "demo-1.0-py2.py3-none-any.whl": True,
        "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": True,
        "demo-1.0-1build-CP312-CP312-MANYLINUX_2_17_X86_64.whl": True,
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl": False,
        "demo-1.1-cp311-cp311-manylinux_2_17_x86_64.whl": False,
        "demo-1.0-cp312-cp312-win_amd64.whl": False,
        "demo-1.0.tar.gz": True,
        "not-a-wheel.whl": True,
    }
    assert {name: keep.keep(name) for name in names} == names
    assert keep.skipped == [name for name, fits in names.items() if not fits]
