"""The CLI's own behaviour: version, help, usage errors."""

from __future__ import annotations

from cove import __version__
from tests.conftest import run_cove


def test_version() -> None:
    proc = run_cove("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"cove {__version__}"


def test_help_lists_commands() -> None:
    proc = run_cove("--help")
    assert proc.returncode == 0
    for name in ("create", "activate", "shell", "python"):
        assert name in proc.stdout


def test_no_command_is_usage_error() -> None:
    proc = run_cove()
    assert proc.returncode == 2
    assert "usage:" in proc.stderr


def test_unknown_command_is_usage_error() -> None:
    proc = run_cove("frobnicate")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
