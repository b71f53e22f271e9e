"""pip's requirements-file format: each rule with a real file, errors with file:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cove.requirements.files import RequirementsError, parse_file
from cove.requirements.text import parse_requirement


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
    write(tmp_path / "sub" / "proj" / "setup.py", "")  # a name only a build can tell
    dynamic = parse_file(write(tmp_path / "d.txt", "./sub/proj\n"), {}, cwd=tmp_path)
    assert dynamic.lines == []
    assert [(u.path, u.editable) for u in dynamic.unnamed] == [(tmp_path / "sub" / "proj", False)]


def test_cycles_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\n")
    write(tmp_path / "b.txt", "-r a.txt\n")
    with pytest.raises(RequirementsError, match="includes itself"):
        parse_file(tmp_path / "a.txt", {})


def test_options_inside_files(tmp_path: Path) -> None:
    req = write(
        tmp_path / "r.txt",
        "-i https://idx.example/simple\n--extra-index-url https://extra.example/simple\n"
        "--find-links wheels\n--find-links elsewhere\n--pre\n--prefer-binary\n--only-binary=:all:\n"
        "--trusted-host idx.example\n--require-hashes\n--no-index\n",
    )
    (tmp_path / "wheels").mkdir()
    opts = parse_file(req, {}).options
    assert opts.index_url == "https://idx.example/simple"
    assert opts.extra_index_urls == ["https://extra.example/simple"]
    # pip's rule: beside the file when it is there, else as written (from the working directory)
    assert opts.find_links == [str(tmp_path / "wheels"), "elsewhere"]
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
        ("ok\n--bogus\n", "r.txt:2: no such option: --bogus"),
        ("flask --hash=nothing\n", "r.txt:1: bad --hash"),
        ("-r missing.txt\n", "cannot read requirements file"),
        ("-e ./proj\n", "r.txt:1: './proj' is not a valid editable requirement"),
        ("https://[broken/x.whl\n", "r.txt:1: 'https://[broken/x.whl' looks like a file name"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(RequirementsError, match=re.escape(message)):
        parse_file(write(tmp_path / "r.txt", text), {})


def test_paths_and_urls_to_wheels(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    req = parse_requirement("demo-1.0-py3-none-any.whl", tmp_path, "argument")
    assert req.name == "demo" and req.url == wheel.as_uri()
    url = parse_requirement("https://h.example/x/demo-1.0-py3-none-any.whl", tmp_path, "arg")
    assert url.url == "https://h.example/x/demo-1.0-py3-none-any.whl"
    write(tmp_path / "proj" / "setup.py", "")
    with pytest.raises(RequirementsError, match="cannot tell the project name"):
        parse_requirement("./proj", tmp_path, "argument")
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "Named"\n')
    assert (
        str(parse_requirement("./proj", tmp_path, "x")) == f"Named @ {(tmp_path / 'proj').as_uri()}"
    )
    (tmp_path / "x_y-1.0.tar.gz").write_bytes(b"")
    sdist = parse_requirement("x_y-1.0.tar.gz", tmp_path, "x")
    assert sdist.name == "x-y" and sdist.url == (tmp_path / "x_y-1.0.tar.gz").as_uri()


def test_markers_and_urls_are_kept_verbatim(tmp_path: Path) -> None:
    """The requirement text is never shell-split: quotes in markers survive, a bare URL's marker
    follows "; " (a ";" alone may be part of the URL), and extras, URL and marker combine."""
    req = write(
        tmp_path / "r.txt",
        'winonly ; sys_platform == "win32"\n'
        "single;os_name=='nt'\n"
        'bar[x,y] @ https://h.example/bar-1.0.tar.gz ; python_version < "3.10"\n'
        'https://h.example/x/demo-1.0-py3-none-any.whl ; python_version > "3"\n',
    )
    got = [str(line.requirement) for line in parse_file(req, {}).lines]
    assert got == [
        'winonly; sys_platform == "win32"',
        'single; os_name == "nt"',
        'bar[x,y] @ https://h.example/bar-1.0.tar.gz ; python_version < "3.10"',
        'demo @ https://h.example/x/demo-1.0-py3-none-any.whl ; python_version > "3"',
    ]
    arg = parse_requirement('winonly; sys_platform=="win32"', tmp_path, "argument")
    assert arg.name == "winonly" and str(arg.marker) == 'sys_platform == "win32"'


def test_per_requirement_config_settings_are_carried(tmp_path: Path) -> None:
    from cove.requirements.files import settings_dict

    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "setup.py").write_text("")
    req = write(
        tmp_path / "r.txt",
        "foo -C a=1 --config-settings a=2 --config-settings=b=x=y\n"
        "-e ./legacy[dev] -C editable_mode=strict\n",
    )
    result = parse_file(req, {}, cwd=tmp_path)
    assert result.lines[0].config_settings == (("a", "1"), ("a", "2"), ("b", "x=y"))
    assert settings_dict(result.lines[0].config_settings) == {"a": ["1", "2"], "b": "x=y"}
    [unnamed] = result.unnamed
    assert unnamed.editable and unnamed.extras == {"dev"}
    assert unnamed.config_settings == (("editable_mode", "strict"),)
    named = unnamed.named("Legacy")
    assert str(named.requirement) == f"Legacy[dev] @ {(tmp_path / 'legacy').as_uri()}"
    assert named.editable and named.config_settings == unnamed.config_settings


def test_what_pip_ignores_is_warned_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "p"\n')
    req = write(
        tmp_path / "r.txt",
        "foo --pre\n--hash=sha256:ab\n-e ./proj ; sys_platform == 'x'\n"
        "bar --global-option=--quiet\n--no-index stray\n",
    )
    result = parse_file(req, {}, cwd=tmp_path)
    assert [line.requirement.name for line in result.lines] == ["foo", "p", "bar"]
    assert result.options.no_index and not result.options.pre
    assert [w.split(": ", 1)[0] for w in result.warnings] == [f"{req}:{n}" for n in (1, 2, 3, 4, 5)]
    assert "the marker after -e is ignored" in result.warnings[2]
    assert "--global-option is ignored" in result.warnings[3]


def test_encodings_and_remote_files(tmp_path: Path) -> None:
    req = tmp_path / "r.txt"
    req.write_bytes(
        "# -*- coding: latin-1 -*-\nfoo ; platform_release == 'café'\n".encode("latin-1")
    )
    assert "café" in str(parse_file(req, {}).lines[0].requirement.marker)
    req.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(RequirementsError, match="cannot be decoded"):
        parse_file(req, {})
    write(req, "-r https://h.example/more.txt\n")
    with pytest.raises(RequirementsError, match="from disk only"):
        parse_file(req, {})
    write(tmp_path / "more.txt", "bar\n")
    write(req, f"-r {(tmp_path / 'more.txt').as_uri()}\n")
    assert [str(x.requirement) for x in parse_file(req, {}).lines] == ["bar"]
