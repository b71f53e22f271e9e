"""Unsatisfiable requirements through `cove install` (issue 10): every shape fails within its
timeout, exit code 1, with the chain from what was asked to what cannot be met; the same graphs
with a way out resolve. Find-links directories are built once for the module; yanked files
(PEP 592) are served by the local index server, which is the only place they exist."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support import graphs
from tests.support.dists import WheelSpec, build_wheel
from tests.support.graphs import wheels
from tests.support.index import Index, IndexServer

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
TIMEOUT = 60  # seconds: a resolver loop fails the test instead of hanging the suite


def chain(versions: tuple[str, ...], last: str) -> list[WheelSpec]:
    """a 1.0.0 -> c1 -> ... -> c10 -> ``last``, each c in every one of ``versions``."""
    return wheels(graphs.chain(versions, last, top="1.0.0"))


B = [WheelSpec("b", "1.0.0"), WheelSpec("b", "2.0.0")]
SHAPES: dict[str, list[WheelSpec]] = {
    "simple": [WheelSpec("a", "1.0.0", requires=["b==2.0.0"]), *B],
    "extra": [WheelSpec("a", "1.0.0", extras={"x": ["b==1.0.0"]}), *B],
    "local": [
        WheelSpec("a", "1.0.0", requires=["b==2.0.0+foo"]),
        WheelSpec("b", "2.0.0+foo"),
        WheelSpec("b", "2.0.0+bar"),
    ],
    "exclude": [WheelSpec("a", "1.0.0", requires=["b<2,!=1.5.0"]), *B, WheelSpec("b", "1.5.0")],
    "missing": [
        WheelSpec("a", "1.0.0", requires=["c"]),
        WheelSpec("c", "1.0.0", requires=["nope"]),
    ],
    "many": [WheelSpec("a", f"1.{i}.0", requires=["b==2.0.0"]) for i in range(200)] + B,
    "many-ok": [
        WheelSpec("a", "1.0.0", requires=["b==1.0.0"]),
        *(WheelSpec("a", f"1.{i}.0", requires=["b==2.0.0"]) for i in range(1, 200)),
        *B,
    ],
    "deep": [*chain(("1.0", "2.0", "3.0"), "b==2.0.0"), *B],
    "deep-sibling": [
        *chain(("1.0", "2.0", "3.0"), "b==2.0.0"),
        *B,
        WheelSpec("z", "1.0.0", requires=["b==1.0.0"]),
    ],
    "deep-ok": [
        *chain(("2.0", "3.0"), "b==2.0.0"),
        WheelSpec("c10", "1.0", requires=["b==1.0.0"]),
        *B,
    ],
}


@pytest.fixture(scope="module")
def links(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("conflicts")
    out = {}
    for name, specs in SHAPES.items():
        for spec in specs:
            build_wheel(root / name, spec)
        out[name] = root / name
    return out


def clean_env() -> dict[str, str]:
    """What the autouse ``isolated`` fixture gives each test, for module fixtures (which name
    their own cache)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "COVE_", "UV_"))}
    env.pop("VIRTUAL_ENV", None)
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory, links: dict[str, Path]) -> dict[str, Path]:
    """ "empty", and "installed": a 1.0.0 (which requires b==2.0.0) with b 2.0.0."""
    root = tmp_path_factory.mktemp("envs")
    environ = {**clean_env(), "COVE_CACHE_DIR": str(root / "cache")}
    out = {}
    for name in ("empty", "installed"):
        run_cove("create", "-q", "-p", str(PY), str(root / name), env=environ, check=True)
        out[name] = root / name
    simple = str(links["simple"])
    run_cove(
        "install",
        "-q",
        "-p",
        str(out["installed"]),
        "--no-index",
        "-f",
        simple,
        "a",
        check=True,
        env=environ,
    )
    return out


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): p.read_bytes()
        for p in sorted(env.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def fail(env: Path, where: Path, *args: str) -> list[str]:
    """Run an install that must fail; its error lines (without "error: ... requirements:")."""
    proc = run_cove(
        "install", "-p", str(env), "--no-index", "-f", str(where), *args, timeout=TIMEOUT
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    start = lines.index("error: cannot resolve the requirements:")
    assert lines[-1].startswith("hint: ")
    return [line.removeprefix("  ") for line in lines[start + 1 : -1]]


@pytest.mark.parametrize("order", [["a", "b==1.0.0"], ["b==1.0.0", "a"]])
def test_the_smallest_conflict_fails_at_once(
    order: list[str], links: dict[str, Path], envs: dict[str, Path]
) -> None:
    before = snapshot(envs["empty"])
    assert fail(envs["empty"], links["simple"], *order) == [
        "you asked for a",
        "a 1.0.0 requires b==2.0.0, but you asked for b==1.0.0",
        "so a cannot be installed",
    ]
    assert snapshot(envs["empty"]) == before


@pytest.mark.parametrize(
    ("shape", "args", "expected"),
    [
        ("extra", ["a[x]", "b==2.0.0"], "a[x] 1.0.0 requires b==1.0.0, but you asked for b==2.0.0"),
        (
            "local",
            ["a", "b==2.0.0+bar"],
            "a 1.0.0 requires b==2.0.0+foo, but you asked for b==2.0.0+bar",
        ),
        ("exclude", ["a", "b>=1.5"], "a 1.0.0 requires b!=1.5.0,<2, but you asked for b>=1.5"),
        (
            "many",
            ["a", "b==1.0.0"],
            "a 1.0.0 to 1.199.0 (200 versions) require b==2.0.0, but you asked for b==1.0.0",
        ),
    ],
)
def test_each_shape_names_the_requirement_its_parent_and_the_conflict(
    shape: str, args: list[str], expected: str, links: dict[str, Path], envs: dict[str, Path]
) -> None:
    lines = fail(envs["empty"], links[shape], *args)
    assert lines == [f"you asked for {args[0]}", expected, f"so {args[0]} cannot be installed"]


def test_a_missing_project_deep_in_the_graph(links: dict[str, Path], envs: dict[str, Path]) -> None:
    lines = fail(envs["empty"], links["missing"], "a")
    assert lines == [
        "you asked for a",
        "a 1.0.0 requires c",
        f"c 1.0.0 requires nope, but nope was not found in {links['missing']}",
        "so a cannot be installed",
    ]


@pytest.mark.parametrize("order", [["a", "b==1.0.0"], ["b==1.0.0", "a"]])
def test_a_conflict_found_late_in_a_deep_chain(
    order: list[str], links: dict[str, Path], envs: dict[str, Path]
) -> None:
    """3**10 combinations of c1..c10: this spun until the 20,000-round limit before."""
    lines = fail(envs["empty"], links["deep"], *order)
    assert lines[:2] == ["you asked for a", "a 1.0.0 requires c1"]
    assert lines[2:11] == [f"c{i} 1.0, 2.0 and 3.0 require c{i + 1}" for i in range(1, 10)]
    assert lines[11:] == [
        "c10 1.0, 2.0 and 3.0 require b==2.0.0, but you asked for b==1.0.0",
        "so a cannot be installed",
    ]


def test_a_deep_chain_against_the_only_version_of_another_request(
    links: dict[str, Path], envs: dict[str, Path]
) -> None:
    lines = fail(envs["empty"], links["deep-sibling"], "a", "z")
    assert lines[-2] == (
        "c10 1.0, 2.0 and 3.0 require b==2.0.0, but you asked for z, and z 1.0.0 "
        "(the only choice) requires b==1.0.0"
    )


@pytest.mark.parametrize(
    ("shape", "wanted"),
    [("many-ok", ["a==1.0.0", "b==1.0.0"]), ("deep-ok", ["c10==1.0", "c9==3.0", "b==1.0.0"])],
)
def test_the_way_out_is_found(
    shape: str, wanted: list[str], links: dict[str, Path], envs: dict[str, Path]
) -> None:
    proc = run_cove(
        "install", "--dry-run", "-p", str(envs["empty"]), "--no-index", "-f", str(links[shape]),
        "a", "b==1.0.0", timeout=TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for item in wanted:
        assert f" + {item}" in proc.stderr


@pytest.mark.parametrize("flags", [[], ["-U"], ["--force-reinstall"]])
def test_an_installed_parent_that_requires_the_other_version(
    flags: list[str], links: dict[str, Path], envs: dict[str, Path]
) -> None:
    before = snapshot(envs["installed"])
    lines = fail(envs["installed"], links["simple"], *flags, "a", "b==1.0.0")
    assert lines[0] == "you asked for a"
    assert lines[1].startswith("a 1.0.0")
    assert lines[1].endswith("requires b==2.0.0, but you asked for b==1.0.0")
    assert snapshot(envs["installed"]) == before


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """The smallest conflict, and b 2.0 yanked with a reason, over HTTP."""
    index = Index(tmp_path_factory.mktemp("index"))
    index.add("a", "1.0", requires=["b==2.0"])
    index.add("b", "1.0")
    index.add("b", "2.0", yanked="broken build")
    with IndexServer(index) as server:
        yield server


def install(env: Path, server: IndexServer, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cove(
        "install", "-p", str(env), "-i", server.url, "--trusted-host", "127.0.0.1", *args,
        timeout=TIMEOUT,
    )  # fmt: skip


def test_the_smallest_conflict_over_http(tmp_path: Path, served: IndexServer) -> None:
    run_cove("create", "-q", "-p", str(PY), str(tmp_path / "env"), check=True)
    proc = install(tmp_path / "env", served, "a", "b==1.0")
    assert proc.returncode == 1
    assert "a 1.0 requires b==2.0, but you asked for b==1.0" in proc.stderr


def test_a_yanked_version_only_a_dependency_pins_is_refused(
    tmp_path: Path, served: IndexServer
) -> None:
    """PEP 592 lets an installer refuse it; as uv, cove does: the user did not choose it."""
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    before = snapshot(env)
    proc = install(env, served, "a")
    assert proc.returncode == 1, proc.stderr
    assert (
        "a 1.0 requires b==2.0, but b 2.0 (broken build) is yanked, and a yanked version is used "
        "only when your own requirement pins it with ==" in proc.stderr
    )
    assert "hint: choose another version, or pin the yanked one with ==" in proc.stderr
    assert snapshot(env) == before
    ranged = install(env, served, "b>1.5")
    assert ranged.returncode == 1
    assert "you asked for b>1.5, but b 2.0 (broken build) is yanked" in ranged.stderr


@pytest.mark.parametrize("how", ["requirement", "constraint"])
def test_a_yanked_version_the_user_pins_is_installed_with_a_warning(
    how: str, tmp_path: Path, served: IndexServer
) -> None:
    env = tmp_path / "env"
    run_cove("create", "-q", "-p", str(PY), str(env), check=True)
    if how == "requirement":
        args = ["a", "b==2.0"]
    else:
        (tmp_path / "c.txt").write_text("b==2.0\n")
        args = ["a", "-c", str(tmp_path / "c.txt")]
    proc = install(env, served, *args)
    assert proc.returncode == 0, proc.stderr
    assert "warning: b 2.0 is yanked (broken build); using it because you pinned it" in proc.stderr
    assert " + b==2.0" in proc.stderr
