"""Start-up diet: each command imports only what it needs (DESIGN.md, "Fast by construction").
Checked by the modules a real run leaves in ``sys.modules``, never by timing: a module that
creeps back onto a quick command's path fails here by name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import python_or_skip
from tests.support.index import Index, IndexServer

# Runs one cove command in-process (main with argv does not end the process), then writes
# what it imported.
_PROBE = """
import json, sys
from cove.cli.main import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""

# The HTTP stack, the resolver and the install pipeline: what only an install that has to
# read an index needs.
NETWORK = ("urllib3", "http.client", "ssl", "email")
RESOLVER = ("resolvelib", "cove.resolve.resolver", "cove.resolve.provider", "cove.prepare.source")
INDEX = ("cove.http.client", "cove.index.finder", "cove.index.evaluate")
PIPELINE = ("cove.operations.pipeline", "cove.operations.wiring")
# Requirement parsing (packaging's markers compile their grammar; tags probe the platform).
REQUIREMENTS = ("packaging.requirements", "packaging.markers", "packaging.tags")


def imported(tmp_path: Path, *argv: str) -> set[str]:
    """The modules ``cove ARGV`` imported; the command must succeed."""
    out = tmp_path / f"modules-{len(list(tmp_path.glob('modules-*')))}.json"
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *argv], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(out.read_text())
    assert found["code"] == 0, proc.stderr
    modules = set(found["modules"])
    assert "cove.cli.main" in modules
    return modules


def unwanted(modules: set[str], *groups: tuple[str, ...]) -> list[str]:
    return sorted(name for group in groups for name in group if name in modules)


def test_version_parses_no_command_line(tmp_path: Path) -> None:
    modules = imported(tmp_path, "--version")
    assert unwanted(modules, ("argparse", "cove.cli.parsing", "packaging"), NETWORK) == []


@pytest.mark.parametrize("seed", [False, True], ids=["without-pip", "with-pip"])
def test_create_imports_no_installer_pipeline(tmp_path: Path, seed: bool) -> None:
    """Seeding links pip's bundled wheel through the one wheel installer, not the pipeline:
    no requirement parsing, resolver or HTTP (only --upgrade-deps reads an index). The first
    seeding unpacks the wheel into the cache (its file name parsed, under a file lock); this
    is about every one after it."""
    python = python_or_skip("3.12")
    argv = ["create", "-q", "-p", str(python), *([] if seed else ["--without-pip"])]
    subprocess.run([sys.executable, "-m", "cove", *argv, str(tmp_path / "first")], check=True)
    modules = imported(tmp_path, *argv, str(tmp_path / "env"))
    assert ("cove.install.wheel" in modules) == seed
    groups = (NETWORK, RESOLVER, INDEX, PIPELINE, REQUIREMENTS, ("dataclasses",))
    assert unwanted(modules, *groups) == []


def test_freeze_stays_lean(tmp_path: Path) -> None:
    python = python_or_skip("3.12")
    env = tmp_path / "env"
    subprocess.run(
        [sys.executable, "-m", "cove", "create", "-q", "-p", str(python), str(env)], check=True
    )
    modules = imported(tmp_path, "freeze", "-p", str(env))
    assert "cove.inspect.freeze" in modules
    groups = (NETWORK, RESOLVER, INDEX, PIPELINE, REQUIREMENTS, ("dataclasses",))
    assert unwanted(modules, *groups) == []


def test_satisfied_install_reads_no_index(tmp_path: Path) -> None:
    """What is installed already satisfies the pins: cove says so without the HTTP stack or the
    resolver, as pip decides it without the index; the first install resolves, and explains
    nothing (the explainer is for failures)."""
    python = python_or_skip("3.12")
    env = tmp_path / "env"
    index = Index(tmp_path / "index")
    index.add("demo", "1.0", requires=["dep>=1"])
    index.add("dep", "2.0")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cove",
            "create",
            "-q",
            "--without-pip",
            "-p",
            str(python),
            str(env),
        ],
        check=True,
    )
    with IndexServer(index) as server:
        argv = ["install", "-q", "-p", str(env), "-i", server.url, "demo==1.0"]
        first = imported(tmp_path, *argv)
        assert "urllib3" in first and "cove.resolve.resolver" in first
        assert "cove.resolve.explain" not in first
        again = imported(tmp_path, *argv)
    # No transaction either (its journal's name needs uuid): nothing is changed.
    assert unwanted(again, NETWORK, RESOLVER, INDEX, ("cove.resolve.explain", "uuid")) == []
    assert "cove.install.satisfied" in again
