"""The entry point turns failures into messages and exit codes, never a traceback."""

from __future__ import annotations

import errno
import os
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
