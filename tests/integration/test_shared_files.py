"""Two distributions that ship the same file (legacy namespace packages, backports.*, CUDA
wheels): installed as pip installs them, tree for tree against pip run from its own wheel, and
uninstalling either leaves the other whole (where pip's uninstall takes the file away)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import pyenv_python, run_cove
from tests.support.dists import WheelSpec, build_wheel, record_hash

PY = pyenv_python("3.12")
pytestmark = pytest.mark.skipif(PY is None, reason="needs pyenv's Python 3.12")
SITE = "lib/python3.12/site-packages"
NS_INIT = b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"


def pip_wheel() -> Path:
    assert PY is not None
    return next(PY.parent.parent.glob("lib/python3.12/ensurepip/_bundled/pip-*.whl"))


def venv(where: Path) -> Path:
    assert PY is not None
    env = where / "env"  # twins share the name, so their activation scripts' prompts match
    subprocess.run([str(PY), "-m", "venv", "--without-pip", str(env)], check=True)
    return env


def pip(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        "PATH": os.environ["PATH"],
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PIP_NO_CACHE_DIR": "1",
    }  # no wheel cache: pip keys it by an sdist's path, which tmp paths repeat
    return subprocess.run(
        [str(env / "bin/python"), f"{pip_wheel()}/pip", *args, "--no-input"],
        capture_output=True, text=True, env=environ, check=True,
    )  # fmt: skip


def tree(env: Path) -> dict[str, bytes]:
    """Every file but pyvenv.cfg, with the environment's path and the installer's name (pip or
    cove) taken out."""
    out = {}
    for p in sorted(env.rglob("*")):
        if not p.is_file() or p.is_symlink() or p.name == "pyvenv.cfg":
            continue
        rel = p.relative_to(env).as_posix()
        data = p.read_bytes().replace(str(env).encode(), b"<env>")
        if rel.endswith("/INSTALLER"):
            data = b"<installer>\n"
        elif rel.endswith("/RECORD"):
            rows = [line for line in data.splitlines() if b"/INSTALLER," not in line]
            data = b"".join(line + b"\n" for line in rows)
        out[rel] = data
    return out


def record_is_whole(env: Path, dist_info: str) -> list[str]:
    """The files a RECORD lists that are missing or differ from their hash."""
    site = env / SITE
    bad = []
    for line in (site / dist_info / "RECORD").read_text().splitlines():
        path, digest, _size = line.rsplit(",", 2)
        target = site / path
        if not target.exists() or (digest and record_hash(target.read_bytes()) != digest):
            bad.append(path)
    return bad


@pytest.fixture
def links(tmp_path: Path) -> Path:
    d = tmp_path / "links"
    for name, module in (("nsa", "a"), ("nsb", "b")):
        files = {"ns/__init__.py": NS_INIT, f"ns/{module}.py": f"{module.upper()} = 1\n".encode()}
        build_wheel(d, WheelSpec(name, "1.0", files=files))
    build_wheel(d, WheelSpec("xa", "1.0", files={"shared/data.txt": b"from xa\n", "xa.py": b""}))
    build_wheel(d, WheelSpec("xb", "1.0", files={"shared/data.txt": b"from xb\n", "xb.py": b""}))
    return d


def test_one_install_of_two_wheels_with_one_file_is_pips_tree(tmp_path: Path, links: Path) -> None:
    ours, theirs = venv(tmp_path / "ours"), venv(tmp_path / "theirs")
    empty = tree(ours)
    proc = run_cove("install", "-p", str(ours), "--no-index", "-f", str(links), "nsa", "nsb")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, proc.stderr  # once, naming the file and both distributions
    assert "nsa and nsb" in warnings[0] and "ns/__init__.py" in warnings[0]
    assert "identical" in warnings[0]
    pip(theirs, "install", "--no-index", "-f", str(links), "--no-compile", "nsa", "nsb")
    assert tree(ours) == tree(theirs)
    assert record_is_whole(ours, "nsa-1.0.dist-info") == []
    assert record_is_whole(ours, "nsb-1.0.dist-info") == []

    # pip's uninstall takes the shared file with it: nsb's RECORD then lists a missing file.
    pip(theirs, "uninstall", "-y", "nsa")
    assert record_is_whole(theirs, "nsb-1.0.dist-info") == ["ns/__init__.py"]
    # cove keeps it while nsb's RECORD lists it: safer, and otherwise pip's tree.
    gone = run_cove("uninstall", "-p", str(ours), "nsa")
    assert gone.returncode == 0, gone.stderr
    assert record_is_whole(ours, "nsb-1.0.dist-info") == []
    expected = {**tree(theirs), f"{SITE}/ns/__init__.py": NS_INIT}
    assert tree(ours) == expected
    done = subprocess.run([str(ours / "bin/python"), "-c", "import ns.b; print(ns.b.B)"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout == "1\n"
    # The last owner takes it: the environment is as it was before either.
    run_cove("uninstall", "-p", str(ours), "nsb", check=True)
    assert tree(ours) == empty


def test_a_wheel_shipping_an_installed_distributions_file(tmp_path: Path, links: Path) -> None:
    """Installed in two commands, in each order, then uninstalled in each order."""
    for first, second in (("nsa", "nsb"), ("nsb", "nsa")):
        ours, theirs = venv(tmp_path / f"ours-{first}"), venv(tmp_path / f"theirs-{first}")
        empty = tree(ours)
        for name in (first, second):
            proc = run_cove("install", "-p", str(ours), "--no-index", "-f", str(links), name)
            assert proc.returncode == 0, proc.stderr
            pip(theirs, "install", "--no-index", "-f", str(links), "--no-compile", name)
        assert "ns/__init__.py" in proc.stderr and f"{first} and {second}" in proc.stderr
        assert tree(ours) == tree(theirs)
        for name, other in ((first, second), (second, first)):
            run_cove("uninstall", "-p", str(ours), name, check=True)
            assert record_is_whole(ours, f"{other}-1.0.dist-info") == [], name
            run_cove("install", "-p", str(ours), "--no-index", "-f", str(links), name, check=True)
        run_cove("uninstall", "-p", str(ours), "nsa", "nsb", check=True)
        assert tree(ours) == empty


def test_different_copies_keep_the_one_pip_keeps(tmp_path: Path, links: Path) -> None:
    """pip installs packages of one depth in reverse name order, so the first name's copy is
    the one left; cove keeps the same one, and says the copies differ."""
    ours, theirs = venv(tmp_path / "ours"), venv(tmp_path / "theirs")
    proc = run_cove("install", "-p", str(ours), "--no-index", "-f", str(links), "xb", "xa")
    assert proc.returncode == 0, proc.stderr
    assert "different copies: xa's is kept" in proc.stderr
    pip(theirs, "install", "--no-index", "-f", str(links), "--no-compile", "xb", "xa")
    assert tree(ours) == tree(theirs)
    assert (ours / SITE / "shared/data.txt").read_bytes() == b"from xa\n"
    run_cove("uninstall", "-p", str(ours), "xa", check=True)
    assert (ours / SITE / "shared/data.txt").exists()  # xb's RECORD lists it


def test_a_file_no_distribution_owns_is_not_overwritten(tmp_path: Path, links: Path) -> None:
    """pip overwrites anything; cove refuses a file that no installed RECORD lists (someone's
    own, or a leftover), says which, and changes nothing."""
    ours = venv(tmp_path / "ours")
    stray = ours / SITE / "ns" / "__init__.py"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"# my own work\n")
    before = tree(ours)
    proc = run_cove("install", "-p", str(ours), "--no-index", "-f", str(links), "nsa")
    assert proc.returncode == 1
    assert f"would overwrite {stray}" in proc.stderr and "no installed distribution" in proc.stderr
    assert "hint:" in proc.stderr and "Traceback" not in proc.stderr
    assert tree(ours) == before
    assert not [p for p in ours.iterdir() if p.name.startswith(".cove")]
