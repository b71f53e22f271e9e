"""A git that never answers ends in a clear error (install) or a plain line (freeze), never in
a traceback: a real ``git`` on PATH that hangs, with the time limit made short."""

from __future__ import annotations

from pathlib import Path

import pytest

from cove.build import vcs
from cove.inspect import freeze


@pytest.fixture
def hanging_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = bin_dir / "git"
    git.write_text("#!/bin/sh\nexec sleep 30\n")
    git.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


@pytest.mark.usefixtures("hanging_git")
def test_a_hanging_git_clone_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vcs, "GIT_TIMEOUT", 1)
    with pytest.raises(vcs.VcsError) as info:
        vcs._git("clone", "https://git.example/repo.git")
    assert "git clone took more than 1 s" in info.value.message
    assert info.value.hint


@pytest.mark.usefixtures("hanging_git")
def test_a_hanging_git_gives_freeze_no_version_control_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freeze, "GIT_TIMEOUT", 1)
    assert freeze._git(str(tmp_path), "rev-parse", "HEAD") is None
