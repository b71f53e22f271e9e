"""pip's requirements-file format: each rule with a real file, errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cove.requirements.files import RequirementsError, parse_file, parse_requirement


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    return [str(line.requirement) for line in parse_file(path, environ or {}).lines]


def test_comments_continuations_and_variables(tmp_path: Path) -> None:
    req = write(
        tmp_path / "r.txt",
        "# top\n\nflask>=2 # why\nrequests \\\n  ==2.31.0\n${PKG}==1.0\n",
    )
    got = names(req, {"PKG": "click"})
    assert got == ["flask>=2", "requests==2.31.0", "click==1.0"]


def test_nested_files_are_relative_and_constraints_marked(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "base.txt", "click\n-c pins.txt\n")
    write(tmp_path / "sub" / "pins.txt", "click<9\n")
    top = write(tmp_path / "r.txt", "-r sub/base.txt\nflask\n")
    lines = parse_file(top, {}).lines
    assert [(str(x.requirement), x.constraint) for x in lines] == [
        ("click", False),
        ("click<9", True),
        ("flask", False),
    ]
    assert lines[0].source == f"{tmp_path / 'sub' / 'base.txt'}:1"


def test_project_paths_are_relative_to_the_working_directory(tmp_path: Path) -> None:
    """pip's rule (uv's too): -r, -c and --find-links start at the file, projects and -e at the
    working directory."""
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "Here"\n')
    wheel = tmp_path / "dist" / "demo-1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    write(tmp_path / "sub" / "inner.txt", "-e ./proj\n")
    top = write(
        tmp_path / "sub" / "r.txt", "./proj\ndist/demo-1.0-py3-none-any.whl\n-r inner.txt\n"
    )
    result = parse_file(top, {}, cwd=tmp_path)
    assert [str(x.requirement) for x in result.lines] == [
        f"Here @ {(tmp_path / 'proj').as_uri()}",
        f"demo @ {wheel.as_uri()}",
        f"Here @ {(tmp_path / 'proj').as_uri()}",
    ]
    assert result.lines[2].editable
    (tmp_path / "sub" / "proj").mkdir()  # beside the file, not where paths start: unnamed
    dynamic = parse_file(write(tmp_path / "d.txt", "./sub/proj\n"), {}, cwd=tmp_path)
    assert dynamic.lines == [] and dynamic.unnamed == [(tmp_path / "sub" / "proj", False)]


def test_cycles_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    with pytest.raises(RequirementsError, match="includes itself"):
        parse_file(tmp_path / "a.txt", {})


def test_options_inside_files(tmp_path: Path) -> None:
    req = write(
        tmp_path / "r.txt",
        "-i https://idx.example/simple\n--extra-index-url https://extra.example/simple\n"
        "--find-links wheels\n--pre\n--prefer-binary\n--only-binary=:all:\n"
        "--trusted-host idx.example\n--require-hashes\n--no-index\n",
    )
    opts = parse_file(req, {}).options
    assert opts.index_url == "https://idx.example/simple"
    assert opts.extra_index_urls == ["https://extra.example/simple"]
    assert opts.find_links == [str(tmp_path / "wheels")]
    assert opts.pre and opts.prefer_binary and opts.require_hashes and opts.no_index
    assert opts.only_binary == [":all:"] and opts.trusted_hosts == ["idx.example"]


def test_hashes(tmp_path: Path) -> None:
    req = write(
        tmp_path / "r.txt",
        "flask==2.0 --hash=sha256:AA \\\n    --hash sha256:bb\nclick==8.0\n",
    )
    lines = parse_file(req, {}).lines
    assert lines[0].hashes == frozenset({"sha256:aa", "sha256:bb"})
    assert lines[1].hashes == frozenset()


@pytest.mark.parametrize(
    "text, message",
    [
        ("flask>>2\n", "r.txt:1: invalid requirement 'flask>>2'"),
        ("ok\n--bogus\n", "r.txt:2: unknown option '--bogus'"),
        ("flask --hash=nothing\n", "r.txt:1: bad --hash"),
        ("-r missing.txt\n", "cannot read requirements file"),
        ("-e ./proj\n", "r.txt:1: './proj' is neither a requirement nor an existing path"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RequirementsError, match=message.replace("(", r"\(").replace("'", "'")):
        parse_file(write(tmp_path / "r.txt", text), {})


def test_paths_and_urls_to_wheels(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    req = parse_requirement("demo-1.0-py3-none-any.whl", tmp_path, "argument")
    assert req.name == "demo" and req.url == wheel.as_uri()
    url = parse_requirement("https://h.example/x/demo-1.0-py3-none-any.whl", tmp_path, "arg")
    assert url.url == "https://h.example/x/demo-1.0-py3-none-any.whl"
    (tmp_path / "proj").mkdir()
    with pytest.raises(RequirementsError, match="cannot tell the project name"):
        parse_requirement("./proj", tmp_path, "argument")
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "Named"\n')
    assert (
        str(parse_requirement("./proj", tmp_path, "x")) == f"Named @ {(tmp_path / 'proj').as_uri()}"
    )
    (tmp_path / "x_y-1.0.tar.gz").write_bytes(b"")
    sdist = parse_requirement("x_y-1.0.tar.gz", tmp_path, "x")
    assert sdist.name == "x-y" and sdist.url == (tmp_path / "x_y-1.0.tar.gz").as_uri()
