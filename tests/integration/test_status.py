"""`cove status`: the environment, the python and pip the shell runs, and whether it is healthy;
each problem comes with a hint, and following the hint makes it healthy again."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.index import Index

PY = pyenv_python("3.12")
pytestmark = [pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12"),
              pytest.mark.timeout(180)]  # fmt: skip
KEYS = {"active", "environment", "python", "pip", "interpreter", "interpreter_target", "home",
        "base_executable", "version", "site_packages", "distributions", "healthy",
        "problems"}  # fmt: skip


def status(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    proc = run_cove("status", "--json", *args, env=env, cwd=cwd)
    data = json.loads(proc.stdout)
    assert set(data) == KEYS
    assert proc.returncode == (0 if data["healthy"] else 1), proc.stderr
    assert data["healthy"] == (not data["problems"])
    return data


def activated(env: Path) -> dict[str, str]:
    return {**os.environ, "VIRTUAL_ENV": str(env),
            "PATH": os.pathsep.join([str(env / "bin"), os.environ["PATH"]])}  # fmt: skip


def test_a_healthy_active_environment(tmp_path: Path) -> None:
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    data = status(env=activated(env), cwd=tmp_path)
    assert data["healthy"] and data["active"] == data["environment"] == str(env)
    assert data["python"] == {"path": str(env / "bin/python"), "in_environment": True,
                              "resolved": os.path.realpath(env / "bin/python")}  # fmt: skip
    assert data["pip"]["path"] == str(env / "bin/pip") and data["pip"]["in_environment"]
    assert data["interpreter_target"] == os.path.realpath(str(PY))
    assert data["version"] == "3.12.1" and data["home"] == str(Path(str(PY)).parent)
    site = env / "lib/python3.12/site-packages"
    assert data["site_packages"] == str(site)
    assert data["distributions"] == len(list(site.glob("*.dist-info"))) >= 1
    text = run_cove("status", env=activated(env), cwd=tmp_path)
    assert text.returncode == 0
    assert f"environment:   {env} (active)" in text.stdout and "healthy:       yes" in text.stdout


def test_an_environment_that_is_not_active(tmp_path: Path) -> None:
    env = tmp_path / "project" / ".venv"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)
    data = status(cwd=tmp_path / "project")
    assert data["environment"] == str(env) and data["active"] is None and data["healthy"]
    assert not data["python"]["in_environment"] and data["pip"]["path"] != str(env / "bin/pip")
    assert data["distributions"] == 0
    text = run_cove("status", cwd=tmp_path / "project").stdout
    assert "(not active)" in text and "(not the environment's)" in text and "cove run" in text


def throwaway_python(where: Path) -> Path:
    """A copy of the 3.12 interpreter that can be deleted afterwards, as an upgrade does."""
    assert PY is not None
    prefix = Path(os.path.realpath(PY)).parent.parent
    (where / "bin").mkdir(parents=True)
    (where / "lib").mkdir()
    copy = where / "bin" / "python3.12"
    shutil.copy2(os.path.realpath(PY), copy)
    (where / "lib" / "python3.12").symlink_to(prefix / "lib" / "python3.12")
    for shared in (prefix / "lib").glob("libpython3.12*"):
        (where / "lib" / shared.name).symlink_to(shared)
    if subprocess.run([str(copy), "-c", "pass"], capture_output=True).returncode != 0:
        pytest.skip("this interpreter cannot run from a copy")
    return copy


def follow(hint: str) -> None:
    """Run the cove command a hint names."""
    command = hint[hint.index("cove ") :]
    words = shlex.split(command)
    assert words[0] == "cove"
    run_cove(*words[1:], check=True)


def test_the_python_it_was_made_with_is_gone(tmp_path: Path) -> None:
    python = throwaway_python(tmp_path / "old-python")
    env = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "-p", str(python), str(env), check=True)
    assert status("-p", str(env))["healthy"]
    shutil.rmtree(tmp_path / "old-python")
    data = status("-p", str(env))
    assert not data["healthy"]
    [broken] = data["problems"]  # the link, not also the directory it was in
    assert "does not exist" in broken["message"]
    assert str(env / "bin/python") in broken["message"]
    assert f"cove create --upgrade -p {Path(str(PY)).parent}" in broken["hint"]  # a 3.12 found
    assert data["site_packages"] == str(env / "lib/python3.12/site-packages")
    text = run_cove("status", "-p", str(env))
    assert text.returncode == 1 and "healthy:       no" in text.stdout and "hint:" in text.stdout
    follow(broken["hint"])
    assert status("-p", str(env))["healthy"]


def test_missing_and_conflicting_requirements(tmp_path: Path, index: Index) -> None:
    index.add("app", "1.0", requires=["lib>=2", "other"])
    index.add("lib", "1.0")
    index.add("lib", "2.0")
    index.add("other", "1.0")
    env = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)
    url = index.file_url
    run_cove("install", "-q", "-p", str(env), "-i", url, "--no-deps", "app", "lib==1.0", check=True)
    data = status("-p", str(env))
    problems = {p["message"]: p["hint"] for p in data["problems"]}
    assert problems == {
        "app 1.0 requires other, which is not installed.": f"cove install -p {env} 'other'",
        "app 1.0 has requirement lib>=2, but you have lib 1.0.": f"cove install -p {env} 'lib>=2'",
    }
    assert data["distributions"] == 2
    for hint in problems.values():
        run_cove(*shlex.split(hint)[1:], "-i", url, check=True)
    assert status("-p", str(env))["healthy"]


def test_a_broken_pyvenv_cfg_and_metadata(tmp_path: Path) -> None:
    env = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(env), check=True)
    cfg = env / "pyvenv.cfg"
    text = cfg.read_text()
    cfg.write_text("".join(line + "\n" for line in text.splitlines() if line.startswith("include")))
    data = status("-p", str(env))
    hints = {p["message"]: p["hint"] for p in data["problems"]}
    assert hints[f"{cfg} names no version"].startswith("recreate it: cove create --clear")
    assert f"{cfg} has no home (the base interpreter's directory)" in hints
    cfg.write_text(text.replace("version = 3.12.1", "version = 3.11.4"))
    data = status("-p", str(env))
    [problem] = data["problems"]
    assert (
        "is now Python 3.12.1, but the environment was made for Python 3.11.4"
        in (problem["message"])
    )
    assert "cove create --clear -p 3.11" in problem["hint"]
    cfg.write_text(text.replace(f"home = {Path(str(PY)).parent}", f"home = {tmp_path / 'gone'}"))
    [problem] = status("-p", str(env))["problems"]
    assert f"directory {tmp_path / 'gone'} (pyvenv.cfg home) is gone" in problem["message"]
    assert "cove create --upgrade -p " in problem["hint"]
    cfg.write_text(text)
    bad = env / "lib/python3.12/site-packages/broken-1.0.dist-info"
    bad.mkdir()
    (bad / "METADATA").write_text("Version: 1.0\n")
    [problem] = status("-p", str(env))["problems"]
    assert "invalid metadata" in problem["message"] and "broken-1.0.dist-info" in problem["message"]
    bad.joinpath("METADATA").unlink()
    bad.rmdir()
    assert status("-p", str(env))["healthy"]


def test_no_environment(tmp_path: Path) -> None:
    data = status(cwd=tmp_path)
    assert data["environment"] is None and not data["healthy"]
    assert "no virtual environment found" in data["problems"][0]["message"]
    assert "cove create" in data["problems"][0]["hint"]
    proc = run_cove("status", "-p", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1 and "is not a virtual environment" in proc.stderr
    assert "hint:" in proc.stderr and not proc.stdout
