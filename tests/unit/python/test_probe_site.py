"""The probe runs with site disabled, yet answers what it answered with site enabled (as cove
ran it up to effaaa2) for every interpreter here, from 2.7 to 3.13, and for venvs of each; and
the site directories cove works out from it are the ones site.py puts on sys.path."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cove.python import probe as probe_mod
from cove.venv.environment import open_environment, open_system
from tests.conftest import python_or_skip

pytestmark = pytest.mark.slow

ALL = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
ENV_VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
SCRIPT = Path(probe_mod.__file__).with_name("probe_script.py")
# Code an installed wheel could bring: each leaves a file in sys.prefix when it runs.
CANARIES = {
    "canary.pth": "import sys; open(sys.prefix + '/ran-pth', 'a').close()\n",
    "sitecustomize.py": "import sys\nopen(sys.prefix + '/ran-sitecustomize', 'a').close()\n",
}


def with_site(exe: Path) -> dict[str, object]:
    """The probe as cove ran it before: site enabled (-E -s), so site.py set up sys.prefix."""
    out = subprocess.run(
        [str(exe), "-E", "-s", str(SCRIPT)], capture_output=True, check=True, timeout=60
    ).stdout
    answer: dict[str, object] = json.loads(out)
    return answer


Venv = Callable[[str, tuple[str, ...]], Path]


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """``venv(minor, flags)``: a ``python -m venv --without-pip`` environment with the canaries
    in its site-packages, made once per session."""
    made: dict[tuple[str, tuple[str, ...]], Path] = {}

    def make(minor: str, flags: tuple[str, ...]) -> Path:
        if (minor, flags) not in made:
            root = tmp_path_factory.mktemp("probe-env") / "env"
            exe = python_or_skip(minor)
            subprocess.run([str(exe), "-m", "venv", "--without-pip", *flags, str(root)], check=True)
            site = next(root.glob("lib/python*/site-packages"))
            for name, text in CANARIES.items():
                (site / name).write_text(text)
            made[minor, flags] = root
        return made[minor, flags]

    return make


def ran(env: Path) -> list[str]:
    found = sorted(p.name for p in env.glob("ran-*"))
    for p in env.glob("ran-*"):
        p.unlink()
    return found


@pytest.mark.parametrize("minor", ALL)
def test_base_interpreters_answer_the_same(minor: str) -> None:
    exe = python_or_skip(minor)
    assert probe_mod._run_probe(exe) == with_site(exe)


@pytest.mark.parametrize(
    "flags", [(), ("--copies",), ("--system-site-packages",)], ids=["plain", "copies", "ssp"]
)
@pytest.mark.parametrize("minor", ENV_VERSIONS)
def test_venvs_answer_the_same_and_run_nothing(
    minor: str, flags: tuple[str, ...], venv: Venv
) -> None:
    env = venv(minor, flags)
    python = env / "bin" / "python"
    before = with_site(python)
    assert ran(env) == ["ran-pth", "ran-sitecustomize"]  # the canaries do work
    assert probe_mod._run_probe(python) == before
    assert before["prefix"] == str(env) and before["in_venv"] is True
    assert ran(env) == []


def site_added(python: Path, environ: dict[str, str]) -> list[str]:
    """The entries site.py adds to sys.path (run with site, minus run without)."""
    code = "import json, sys; print(json.dumps(sys.path))"
    paths = []
    for flags in ([], ["-S"]):
        cmd = [str(python), *flags, "-c", code]
        proc = subprocess.run(cmd, capture_output=True, check=True, env=environ, text=True)
        paths.append(json.loads(proc.stdout))
    added = [p for p in paths[0] if p not in paths[1]]
    return [p for p in added if p not in pth_added(added)]


def pth_added(site_dirs: list[str]) -> set[str]:
    """The directories that path lines of .pth files in ``site_dirs`` add (an editable install
    of cove into the interpreter running the tests is one): cove leaves these out on purpose."""
    found: set[str] = set()
    for site_dir in map(Path, site_dirs):
        for pth in site_dir.glob("*.pth") if site_dir.is_dir() else ():
            for line in pth.read_text(errors="replace").splitlines():
                if line.strip() and not line.startswith(("#", "import ", "import\t")):
                    found.add(os.path.normpath(site_dir / line.rstrip()))
    return found


@pytest.mark.parametrize("kind", ["base", "plain", "ssp"])
@pytest.mark.parametrize("minor", ENV_VERSIONS)
def test_site_dirs_are_sys_paths(
    minor: str, kind: str, venv: Venv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What cove reads as the environment's site directories is what site.py puts on sys.path,
    user site-packages included where site.py's rules include it (for the interpreter itself
    and a venv with the system's packages). The one thing cove leaves out on purpose: entries
    that .pth files add (it would have to run them); the venvs here have only canary.pth,
    which adds none."""
    userbase = tmp_path / "userbase"
    monkeypatch.setenv("PYTHONUSERBASE", str(userbase))
    cache = tmp_path / "cache"
    exe = python_or_skip(minor)
    if kind == "base":
        env = open_system(str(exe), cache, break_system_packages=True)
        python = exe
    else:
        root = venv(minor, ("--system-site-packages",) if kind == "ssp" else ())
        env = open_environment(root, cache)
        python = env.python
    user_site = userbase / env.interpreter.user_site
    user_site.mkdir(parents=True)
    environ = {"PATH": os.environ["PATH"], "PYTHONUSERBASE": str(userbase)}
    expected = site_added(python, environ)
    assert (str(user_site) in expected) == (kind != "plain")
    assert [str(d) for d in env.site_dirs() if d.is_dir()] == expected
    if kind != "base":
        assert ran(env.root) == ["ran-pth", "ran-sitecustomize"]  # only site_added ran them
