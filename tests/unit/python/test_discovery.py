"""Interpreter requests, matching, and the cached probe against real interpreters."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cove.errors import InterpreterError
from cove.python import probe as probe_mod
from cove.python.discovery import Request, best_match, find_interpreter, matches, parse_request
from cove.python.probe import probe
from tests.conftest import pyenv_python
from tests.unit.venv.test_layout_create import make_interpreter


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3", Request(None, (3,))),
        ("3.12", Request(None, (3, 12))),
        ("3.12.1", Request(None, (3, 12, 1))),
        ("python3.13", Request(None, (3, 13))),
        ("cpython3.12", Request("cpython", (3, 12))),
        ("pypy3.10", Request("pypy", (3, 10))),
        ("pypy", Request("pypy", ())),
        (">=3.11,<3.13", Request(None, (), ">=3.11,<3.13")),
        ("banana", None),
        (">=nonsense", None),
    ],
)
def test_parse_request(text: str, expected: Request | None) -> None:
    assert parse_request(text) == expected


def test_matching_picks_newest_patch() -> None:
    found = [
        make_interpreter((3, 12, 1)),
        make_interpreter((3, 12, 4)),
        make_interpreter((3, 13, 0)),
        make_interpreter((3, 12, 9), implementation="pypy"),
    ]
    pick = best_match(Request(None, (3, 12)), found)
    assert pick is not None and pick.version == (3, 12, 9)
    pick = best_match(Request("cpython", (3, 12)), found)
    assert pick is not None and pick.version == (3, 12, 4)
    pick = best_match(Request(None, (), ">=3.11,<3.13"), found)
    assert pick is not None and pick.version == (3, 12, 9)
    assert best_match(Request(None, (3, 9)), found) is None
    assert matches(Request(None, (3, 12, 1)), "cpython", (3, 12, 1))
    assert not matches(Request(None, (3, 12, 1)), "cpython", (3, 12, 10))


def test_probe_real_interpreter_and_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = pyenv_python("3.12")
    if exe is None:
        pytest.skip("no 3.12")
    info = probe(exe, tmp_path)
    assert info.version[:2] == (3, 12)
    assert info.scheme["purelib"] == "lib/python3.12/site-packages"
    assert info.markers["python_version"] == "3.12"
    assert any("pip-" in w for w in info.ensurepip_wheels)

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("the second probe must come from the cache")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert probe(exe, tmp_path) == info


def test_probe_cache_follows_mtime(tmp_path: Path) -> None:
    exe = pyenv_python("3.12")
    if exe is None:
        pytest.skip("no 3.12")
    link = tmp_path / "python"
    link.symlink_to(exe)
    wrapper = tmp_path / "wrapped"
    wrapper.write_text(f'#!/bin/sh\nexec "{exe}" "$@"\n')
    wrapper.chmod(0o755)
    first = probe(wrapper, tmp_path / "cache")
    assert first.version[:2] == (3, 12)
    entries = list((tmp_path / "cache" / probe_mod.CACHE_BUCKET).iterdir())
    wrapper.write_text("#!/bin/sh\necho not python\n")
    os.utime(wrapper, ns=(1, 1))
    with pytest.raises(InterpreterError, match="does not behave like a Python"):
        probe(wrapper, tmp_path / "cache")
    assert list((tmp_path / "cache" / probe_mod.CACHE_BUCKET).iterdir()) == entries


def test_probe_cache_entry_for_another_key_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entry names are short checksums; an entry whose stored key is not this executable's (a
    clash, or a stale file) is probed again, never trusted."""
    exe = pyenv_python("3.12")
    if exe is None:
        pytest.skip("no 3.12")
    cache = tmp_path / "cache"
    probe(exe, cache)
    (entry,) = (cache / probe_mod.CACHE_BUCKET).iterdir()
    data = json.loads(entry.read_text())
    assert data["cache_key"].startswith(os.path.abspath(exe) + "\0")
    entry.write_text(
        json.dumps({**data, "cache_key": "/elsewhere/python\x00", "version": [3, 9, 0]})
    )
    calls = []
    real_run = subprocess.run

    def counting_run(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", counting_run)
    assert probe(exe, cache).version[:2] == (3, 12)
    assert len(calls) == 1
    assert json.loads(entry.read_text())["cache_key"] == data["cache_key"]


@pytest.mark.parametrize("minor", ["2.7", "3.6"])
def test_old_pythons_refused(minor: str, tmp_path: Path) -> None:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no {minor}")
    with pytest.raises(InterpreterError, match=r"needs Python 3\.8") as info:
        probe(exe, tmp_path)
    assert info.value.hint
    assert not (tmp_path / probe_mod.CACHE_BUCKET).exists()


def test_missing_and_unknown(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="no interpreter at"):
        find_interpreter(str(tmp_path / "nope" / "python"), tmp_path)
    with pytest.raises(InterpreterError, match="neither a Python version"):
        find_interpreter("banana-split", tmp_path)
    with pytest.raises(InterpreterError, match=r"no interpreter found for '9\.9'"):
        find_interpreter("9.9", tmp_path)


def test_version_request_finds_pyenv(tmp_path: Path) -> None:
    if pyenv_python("3.13") is None:
        pytest.skip("no 3.13")
    found = find_interpreter("3.13", tmp_path)
    assert found.version[:2] == (3, 13)
    out = subprocess.run(
        [found.executable, "-c", "import sys; print(sys.version_info[1])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "13"


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_a_new_environment_is_known_without_a_probe(
    minor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """create caches what the probe would say about the new environment's python; that guess
    must be exactly what a real probe inside the environment reports."""
    from cove.venv.create import CreateOptions, create_environment

    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no {minor}")
    cache = tmp_path / "cache"
    base = probe(exe, cache)
    env = tmp_path / "my env"
    create_environment(env, base, CreateOptions(with_pip=False), cache_dir=cache, cwd=tmp_path)
    python = env / "bin" / "python"
    real = probe_mod._run_probe(python)
    key = probe_mod._cache_key(python)
    assert key is not None
    entry = cache / probe_mod.CACHE_BUCKET / f"{probe_mod._cache_name(key)}.json"
    remembered = json.loads(entry.read_text())
    assert remembered.pop("cache_key") == key
    assert remembered == real | {"executable": str(python)}

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("the new environment's python must come from the cache")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert probe(python, cache).prefix == str(env)


def test_copied_environments_are_probed_when_used(tmp_path: Path) -> None:
    from cove.venv.create import CreateOptions, create_environment

    exe = pyenv_python("3.12")
    if exe is None:
        pytest.skip("no 3.12")
    cache = tmp_path / "cache"
    base = probe(exe, cache)
    env = tmp_path / "env"
    options = CreateOptions(with_pip=False, symlinks=False)
    create_environment(env, base, options, cache_dir=cache, cwd=tmp_path)
    assert len(list((cache / probe_mod.CACHE_BUCKET).iterdir())) == 1  # the base only
    assert probe(env / "bin" / "python", cache).in_venv
