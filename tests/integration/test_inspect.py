"""`cove list`, `show`, `check`, `inspect` print what pip prints for the same environment;
`cove tree` draws its dependency graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.integration.test_freeze import pip
from tests.support.dists import source_project
from tests.support.index import Index

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
LICENSE = "BSD\n        \tTabbed line\n        second"


@pytest.fixture
def env(tmp_path: Path, index: Index) -> Path:
    index.add(
        "Flask", "2.0", requires=["click>=8", "Jinja2", 'colorama; sys_platform == "win32"'],
        summary="A web framework",
    )  # fmt: skip
    index.add("click", "7.0")
    index.add("Jinja2", "3.1", requires=["MarkupSafe>=2", "missing-dep"])
    index.add("MarkupSafe", "2.1")
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    url = index.file_url
    run_cove("install", "-q", "-p", str(env), "-i", url, "--no-deps", "flask", "jinja2", check=True)
    run_cove("install", "-q", "-p", str(env), "-i", url, "click==7.0", "markupsafe", check=True)
    project = source_project(tmp_path / "proj", "Local-Proj")
    assert pip(env, "install", "-q", "--no-build-isolation", "-e", str(project)).returncode == 0
    meta = next(env.glob("lib/python3.12/site-packages/markupsafe-2.1.dist-info")) / "METADATA"
    text = meta.read_text().replace("Version: 2.1\n", f"Version: 2.1\nLicense: {LICENSE}\n")
    meta.unlink()  # a new file, not a write through the hardlink into cove's shared cache
    meta.write_text(text)
    return env


def same(env: Path, *args: str) -> str:
    ours = run_cove(*args, "-p", str(env))
    theirs = pip(env, *args)
    assert ours.stdout == theirs.stdout, args
    assert ours.returncode == theirs.returncode, args
    return ours.stdout


def test_list_matches_pip(env: Path) -> None:
    out = same(env, "list")
    assert "Editable project location" in out
    assert "Flask" in same(env, "list", "--format", "json")
    same(env, "list", "--format", "freeze")
    same(env, "list", "--not-required")
    same(env, "list", "--exclude", "click", "--exclude", "FLASK")
    same(env, "list", "-e")
    same(env, "list", "--exclude-editable")


def test_show_matches_pip(env: Path) -> None:
    out = same(env, "show", "flask", "markupsafe")
    assert "Required-by: Flask, Jinja2" in out or "Required-by: Jinja2" in out
    assert "        Tabbed line" in out  # tabs expanded as pip's console does
    same(env, "show", "-f", "jinja2")
    same(env, "show", "local-proj")
    missing = run_cove("show", "-p", str(env), "nothing-here")
    assert missing.returncode == 1 and "nothing-here" in missing.stderr


def test_check_matches_pip(env: Path) -> None:
    out = same(env, "check")
    assert "flask 2.0 has requirement click>=8, but you have click 7.0." in out
    assert "jinja2 3.1 requires missing-dep, which is not installed." in out


def test_inspect_matches_pip(env: Path) -> None:
    ours = json.loads(run_cove("inspect", "-p", str(env), check=True).stdout)
    theirs = json.loads(pip(env, "inspect").stdout)
    ours.pop("pip_version")
    theirs.pop("pip_version")
    assert ours == theirs


def test_tree(env: Path) -> None:
    out = run_cove("tree", "-p", str(env), check=True).stdout
    assert "Flask==2.0\n  - click [required: >=8, installed: 7.0]\n" in out
    assert "    - missing-dep [required: any, installed: not installed]\n" in out
    assert "colorama" not in out  # its marker is false on Linux
    rev = run_cove("tree", "-p", str(env), "--reverse", "markupsafe", check=True).stdout
    assert rev.startswith("MarkupSafe==2.1\n  - Jinja2 [requires: >=2, installed: 3.1]\n")
    data = json.loads(run_cove("tree", "-p", str(env), "--json", "--depth", "0", check=True).stdout)
    assert all(node["dependencies"] == [] for node in data)
    bad = run_cove("tree", "-p", str(env), "--reverse", "nope")
    assert bad.returncode == 1 and "not installed" in bad.stderr


def test_tree_cycles_are_shown_once(tmp_path: Path, index: Index) -> None:
    index.add("ping", "1.0", requires=["pong"])
    index.add("pong", "1.0", requires=["ping"])
    env = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)
    run_cove("install", "-q", "-p", str(env), "-i", index.file_url, "ping", check=True)
    out = run_cove("tree", "-p", str(env), check=True).stdout
    assert "(cycle)" in out and out.count("\n") < 10


def test_outdated_and_uptodate_match_pip(tmp_path: Path, index: Index) -> None:
    index.add("click", "7.0")
    index.add("click", "8.1")
    index.add("click", "9.0a1")
    index.add("six", "1.16")
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    run_cove("install", "-q", "-p", str(env), "-i", index.file_url, "click==7.0", "six", check=True)
    url = index.file_url
    for args in (
        ["--outdated"],
        ["--uptodate"],
        ["--outdated", "--pre"],
        ["--outdated", "--format", "json"],
        ["--uptodate", "--format", "json"],
    ):
        ours = run_cove("list", "-p", str(env), "-i", url, *args)
        theirs = pip(env, "list", "-i", url, *args)
        assert ours.stdout == theirs.stdout, args
    out = run_cove("list", "-p", str(env), "-i", url, "--outdated").stdout
    assert "click   7.0     8.1    wheel" in out
    both = run_cove("list", "-p", str(env), "--outdated", "--uptodate")
    assert both.returncode == 2
