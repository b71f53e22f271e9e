"""`cove python list` and `cove python find` as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import pyenv_python, run_cove


def test_list_json_includes_pyenv_versions() -> None:
    proc = run_cove("python", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert all({"implementation", "version", "path"} <= row.keys() for row in rows)
    if pyenv_python("3.12") is not None:
        assert any(row["version"].startswith("3.12.") for row in rows)
    assert not any(row["version"].startswith(("2.", "3.6.", "3.7.")) for row in rows)


def test_list_table() -> None:
    proc = run_cove("python", "list")
    assert proc.returncode == 0
    assert "cpython-3." in proc.stdout


def test_find_version() -> None:
    if pyenv_python("3.12") is None:
        pytest.skip("no 3.12")
    proc = run_cove("python", "find", "3.12")
    assert proc.returncode == 0, proc.stderr
    assert "3.12" in proc.stdout


def test_find_unknown_version_is_clear_error() -> None:
    proc = run_cove("python", "find", "9.9")
    assert proc.returncode == 1
    assert "error:" in proc.stderr and "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_without_subcommand_is_usage_error() -> None:
    assert run_cove("python").returncode == 2
