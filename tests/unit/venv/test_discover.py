"""Finding the environment a command acts on, over plain strings (as pathlib would spell it)."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

import pytest

from cove.errors import VenvError
from cove.venv.active import activated_environ, environment_prompt, which
from cove.venv.discover import _lexical, find_environment, find_root, read_pyvenv_cfg


@pytest.mark.parametrize(
    "text", ["/a/b", "/a//b/", "a/./b", "./a", ".", "", "/", "a/../b", "/a/b/.", "..", "a/"]
)
def test_lexical_spelling_is_pathlibs(text: str) -> None:
    assert _lexical(text) == str(PurePath(text))


def make_env(where: Path) -> Path:
    (where / "bin").mkdir(parents=True)
    (where / "bin" / "python").write_text("")
    (where / "pyvenv.cfg").write_text("home = /usr/bin\nprompt = 'it\\'s \\\\ x'\n")
    return where


def test_the_three_ways_an_environment_is_found(tmp_path: Path) -> None:
    env = make_env(tmp_path / "proj" / ".venv")
    work = tmp_path / "proj" / "a" / "b"
    work.mkdir(parents=True)
    climbed = work / ".." / ".." / ".venv"  # pathlib keeps "..": a symlink's parent differs
    for given, expected in [
        (str(env), env),
        (f"{env}/", env),
        (str(env / "bin" / "python"), env),
        ("../../.venv", climbed),
        ("../../.venv/./bin/python", climbed),
    ]:
        assert find_environment(given, work, {}) == expected, given
    assert find_root(None, str(work), {"VIRTUAL_ENV": str(env)}) == str(env)
    assert find_root(None, str(work), {}) == str(env)
    assert find_root(None, str(work), {"VIRTUAL_ENV": str(tmp_path / "gone")}) == str(env)
    with pytest.raises(VenvError, match="is not a virtual environment"):
        find_root(str(tmp_path), str(work), {})
    with pytest.raises(VenvError, match="no virtual environment found"):
        find_root(None, str(tmp_path), {})


def test_pyvenv_cfg_and_the_prompt(tmp_path: Path) -> None:
    env = make_env(tmp_path / "env")
    cfg = read_pyvenv_cfg(env)
    assert cfg["home"] == "/usr/bin"
    assert environment_prompt(cfg, env) == "it's \\ x"  # venv writes the prompt's repr
    assert environment_prompt({"prompt": "'plain'"}, env) == "plain"
    assert environment_prompt({}, env) == "env"
    (env / "pyvenv.cfg").write_bytes(b"home = \xff\n")
    with pytest.raises(VenvError, match="not UTF-8"):
        read_pyvenv_cfg(env)
    with pytest.raises(VenvError, match="cannot read"):
        read_pyvenv_cfg(tmp_path)


def test_activation_leaves_the_previous_environment(tmp_path: Path) -> None:
    base = {"PATH": os.pathsep.join(["/old/bin", "/usr/bin", "/new/bin"]),
            "VIRTUAL_ENV": "/old", "PYTHONHOME": "/x", "OTHER": "kept"}  # fmt: skip
    out = activated_environ("/new", "bin", "p", base)
    assert out["PATH"] == os.pathsep.join(["/new/bin", "/usr/bin"])
    assert (out["VIRTUAL_ENV"], out["VIRTUAL_ENV_PROMPT"], out["OTHER"]) == ("/new", "p", "kept")
    assert "PYTHONHOME" not in out and base["PYTHONHOME"] == "/x"


def test_which_is_command_v(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for d in (first, second):
        d.mkdir()
        (d / "tool").write_text("#!/bin/sh\n")
        (d / "tool").chmod(0o755)
    (first / "tool").chmod(0o644)  # not executable: skipped, as a shell skips it
    (first / "dir").mkdir()
    path = os.pathsep.join([str(first), str(second)])
    assert which("tool", path) == str(second / "tool")
    assert which("dir", path) is None and which("missing", path) is None
    assert which(str(second / "tool"), "") == str(second / "tool")
    assert which(str(first / "tool"), path) is None
