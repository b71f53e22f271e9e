"""The CLI's own behaviour: version, help, usage errors."""

from __future__ import annotations

from pathlib import Path

from cove import __version__
from tests.conftest import run_cove


def test_version() -> None:
    proc = run_cove("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"cove {__version__}"


def test_help_lists_commands() -> None:
    proc = run_cove("--help")
    assert proc.returncode == 0
    for name in ("create", "activate", "shell", "python", "run", "status"):
        assert name in proc.stdout


def test_no_command_is_usage_error() -> None:
    proc = run_cove()
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_unknown_command_is_usage_error() -> None:
    proc = run_cove("frobnicate")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_a_pyvenv_cfg_that_is_not_text_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "pyvenv.cfg").write_bytes(b"home = /usr/\xff\n")
    for command in ("list", "run"):
        proc = run_cove(command, "-p", str(env), *(["true"] if command == "run" else []))
        assert proc.returncode == 1, command
        assert f"cannot read {env / 'pyvenv.cfg'}: it is not UTF-8 text" in proc.stderr
        assert "hint: recreate the environment" in proc.stderr and "Traceback" not in proc.stderr
