"""Two direct URLs for one project are a conflict (issue 10, item 11): one project is installed
from one place, so `cove install` refuses before anything changes, naming the project and both
URLs, as pip does ("The user requested pkg 1.0 (from A) / The user requested pkg 1.0 (from B)").
The same URL given twice, or given again by a dependency, is no conflict."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, build_wheel

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
TIMEOUT = 60  # seconds: a resolver loop fails the test instead of hanging the suite


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two wheels of pkg 1.0 in different directories (``a``, ``b``), and a find-links
    directory with pkg 0.5 and dep 1.0, which requires pkg from ``b``'s URL."""
    root = tmp_path_factory.mktemp("direct")
    a = build_wheel(root / "a", WheelSpec("pkg", "1.0"))
    b = build_wheel(root / "b", WheelSpec("pkg", "1.0", files={"pkg/__init__.py": b"b = 1\n"}))
    build_wheel(root / "links", WheelSpec("pkg", "0.5"))
    build_wheel(root / "links", WheelSpec("dep", "1.0", requires=[f"pkg @ {b.as_uri()}"]))
    return {"a": a.as_uri(), "b": b.as_uri(), "links": str(root / "links")}


@pytest.fixture
def env(tmp_path: Path, urls: dict[str, str]) -> Path:
    """An environment with pkg 0.5 installed, so a refused install has something to keep."""
    where = tmp_path / "env"
    run_cove("create", "-q", "--without-pip", "-p", str(PY), str(where), check=True)
    install(where, urls, "pkg==0.5", check=True)
    return where


def install(
    env: Path, urls: dict[str, str], *args: str, check: bool = False
) -> tuple[int, list[str]]:
    """``cove install`` from the find-links directory: its exit code and stderr lines."""
    proc = run_cove(
        "install", "-p", str(env), "--no-index", "-f", urls["links"], *args, timeout=TIMEOUT
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc.returncode, proc.stderr.splitlines()


def snapshot(env: Path) -> dict[str, bytes]:
    return {
        p.relative_to(env).as_posix(): p.read_bytes()
        for p in sorted(env.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def refused(env: Path, urls: dict[str, str], *args: str) -> list[str]:
    """Run an install that must be refused with the environment as it was; its error lines."""
    before = snapshot(env)
    code, lines = install(env, urls, *args)
    assert code == 1, lines
    assert not any("Traceback" in line for line in lines)
    assert snapshot(env) == before
    start = lines.index("error: cannot resolve the requirements:")
    return [line.removeprefix("  ") for line in lines[start + 1 :]]


def conflict_line(urls: dict[str, str]) -> str:
    return f"pkg cannot be installed from two URLs at once: {urls['a']} and {urls['b']}"


HINT = "hint: ask for pkg from one URL, the same one everywhere"


def test_two_urls_on_the_command_line(env: Path, urls: dict[str, str]) -> None:
    lines = refused(env, urls, f"pkg @ {urls['a']}", f"pkg @ {urls['b']}")
    assert lines == [
        f"you asked for pkg @ {urls['a']}",
        f"you asked for pkg @ {urls['b']}",
        conflict_line(urls),
        HINT,
    ]


def test_a_url_with_extras_against_another_url(env: Path, urls: dict[str, str]) -> None:
    """``pkg[x] @ A`` needs pkg itself from A: against ``pkg @ B`` that is the same conflict."""
    lines = refused(env, urls, f"pkg @ {urls['b']}", f"pkg[x] @ {urls['a']}")
    both = f"{urls['b']} and {urls['a']}"
    assert lines[-2:] == [f"pkg cannot be installed from two URLs at once: {both}", HINT]


def test_two_urls_in_a_requirements_file(env: Path, urls: dict[str, str], tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"pkg @ {urls['a']}\npkg @ {urls['b']}\n", encoding="utf-8")
    lines = refused(env, urls, "-r", str(reqs))
    assert conflict_line(urls) in lines and lines[-1] == HINT


def test_a_url_against_a_dependency_s_url(env: Path, urls: dict[str, str]) -> None:
    lines = refused(env, urls, f"pkg @ {urls['a']}", "dep")
    assert lines == [
        f"you asked for pkg @ {urls['a']}",
        f"you asked for dep; dep 1.0 requires pkg @ {urls['b']}",
        conflict_line(urls),
        HINT,
    ]


@pytest.mark.parametrize("second", ["same", "dependency"])
def test_the_same_url_twice_is_no_conflict(env: Path, urls: dict[str, str], second: str) -> None:
    again = f"pkg @ {urls['b']}" if second == "same" else "dep"
    code, lines = install(env, urls, f"pkg @ {urls['b']}", again)
    assert code == 0, lines
    site = next(env.glob("lib/python3.*/site-packages"))
    assert (site / "pkg" / "__init__.py").read_bytes() == b"b = 1\n"


def test_a_lock_of_two_urls_is_refused_and_writes_nothing(
    env: Path, urls: dict[str, str], tmp_path: Path
) -> None:
    lock = tmp_path / "pylock.toml"
    proc = run_cove(
        "lock", "-p", str(env), "--no-index", "-f", urls["links"], "-o", str(lock),
        f"pkg @ {urls['a']}", f"pkg @ {urls['b']}", timeout=TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert conflict_line(urls) in proc.stderr and "Traceback" not in proc.stderr
    assert not lock.exists()
