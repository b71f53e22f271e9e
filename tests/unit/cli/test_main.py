"""The entry point turns failures into messages and exit codes, never a traceback."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cove.cli.main import main
from tests.conftest import pyenv_python
from tests.support.dists import WheelSpec, build_wheel


def test_a_refused_write_is_a_message_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs pyenv's Python 3.12")
    env = tmp_path / "env"
    assert main(["create", "-q", "--without-pip", "-p", str(python), str(env)]) == 0
    site = env / "lib" / "python3.12" / "site-packages"
    wheels = tmp_path / "wheels"
    build_wheel(wheels, WheelSpec("demo", "1.0"))

    def refuse(src: str, dest: str, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", dest)

    monkeypatch.setattr(os, "link", refuse)
    monkeypatch.setattr("shutil.copy2", refuse)
    code = main(["install", "-p", str(env), "--no-index", "-f", str(wheels), "demo"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Permission denied" in err and str(site / "demo") in err and "hint:" in err
    assert "Traceback" not in err
    assert list(site.iterdir()) == []


def _cove(argv: list[str], stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cove", *argv], stdout=stdout, stderr=subprocess.PIPE, text=True
    )


def test_a_reader_that_goes_away_ends_output_quietly(tmp_path: Path) -> None:
    """`cove freeze | head -1`: the reader closes the pipe early; cove stops without a message,
    with status 0 as pip does."""
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs pyenv's Python 3.12")
    env = tmp_path / "env"
    assert main(["create", "-q", "-p", str(python), str(env)]) == 0
    read, write = os.pipe()
    os.close(read)
    try:
        for argv in (["freeze", "--all"], ["list"], ["inspect"]):
            done = _cove([*argv, "-p", str(env)], stdout=write)
            assert (done.returncode, done.stderr) == (0, ""), argv
    finally:
        os.close(write)


def test_a_quick_command_writes_all_its_output_before_ending(tmp_path: Path) -> None:
    """Commands that end without the interpreter's teardown still flush what they print."""
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("needs pyenv's Python 3.12")
    env = tmp_path / "env"
    assert main(["create", "-q", "-p", str(python), str(env)]) == 0
    done = _cove(["inspect", "-p", str(env)], stdout=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {d["metadata"]["name"] for d in report["installed"]} >= {"pip"}


def test_a_broken_pipe_that_is_not_stdout_is_a_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a reader closing cove's own output ends quietly; a pipe to something else (a build
    backend, git) breaking is an error like any refused write."""
    import cove.cli.cache

    def broken(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cove.cli.cache, "run", broken)
    assert main(["cache", "dir"]) == 1
    err = capsys.readouterr().err
    assert "error: Broken pipe" in err and "Traceback" not in err
