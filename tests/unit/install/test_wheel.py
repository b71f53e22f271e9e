"""The wheel installer: placement, scripts, RECORD, safety, and file-for-file equality with pip."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cove.cache import UNPACKED
from cove.errors import WheelError
from cove.install.wheel import install_wheel
from cove.venv.scheme import Scheme
from tests.conftest import pyenv_python


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(
    directory: Path,
    files: dict[str, bytes],
    *,
    name: str = "demo",
    version: str = "1.0",
    purelib: bool = True,
    entry_points: str | None = None,
    executable: tuple[str, ...] = (),
) -> Path:
    """A wheel with a correct RECORD, built the way build backends lay them out."""
    dist_info = f"{name}-{version}.dist-info"
    members = dict(files)
    members[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    members[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: test\n"
        f"Root-Is-Purelib: {'true' if purelib else 'false'}\nTag: py3-none-any\n".encode()
    )
    if entry_points:
        members[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for path, data in members.items():
        writer.writerow([path, _hash(data), len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    members[f"{dist_info}/RECORD"] = buf.getvalue().encode()
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in members.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o100755 if path in executable else 0o100644) << 16
            zf.writestr(info, data)
    return wheel


DEMO_FILES = {
    "demo/__init__.py": b"def main():\n    print('hi')\n",
    "demo/cli.py": b"def run():\n    return 0\n",
    "demo-1.0.data/scripts/demo-tool": b"#!python\nprint('tool')\n",
    "demo-1.0.data/headers/demo.h": b"#define DEMO 1\n",
    "demo-1.0.data/data/share/demo/readme.txt": b"data\n",
}
DEMO_EPS = (
    "[console_scripts]\ndemo = demo:main\ndemo-cli = demo.cli:run\n"
    "[gui_scripts]\ndemo-gui = demo:main\n"
)


def venv_scheme(env: Path, name: str = "demo") -> Scheme:
    return Scheme.for_venv(
        env,
        site_packages="lib/python3.12/site-packages",
        bin_dir="bin",
        python_short="3.12",
        dist_name=name,
    )


def install(wheel: Path, env: Path, cache: Path, **kw: object) -> object:
    return install_wheel(
        wheel,
        venv_scheme(env),
        python=str(env / "bin" / "python3"),
        python_version=(3, 12),
        cache_dir=cache,
        env=env,
        **kw,  # type: ignore[arg-type]
    )


def test_installs_every_part(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path, DEMO_FILES, entry_points=DEMO_EPS, executable=("demo-1.0.data/scripts/demo-tool",)
    )
    env = tmp_path / "env"
    install(wheel, env, tmp_path / "cache")
    site = env / "lib/python3.12/site-packages"
    assert (site / "demo/__init__.py").read_bytes() == DEMO_FILES["demo/__init__.py"]
    tool = env / "bin/demo-tool"
    assert tool.read_text() == f"#!{env}/bin/python3\nprint('tool')\n"
    assert os.access(tool, os.X_OK)
    assert (env / "include/site/python3.12/demo/demo.h").exists()
    assert (env / "share/demo/readme.txt").read_text() == "data\n"
    launcher = (env / "bin/demo-cli").read_text()
    assert launcher.startswith(f"#!{env}/bin/python3\n")
    assert "from demo.cli import run\n" in launcher and "sys.exit(run())" in launcher
    assert (env / "bin/demo-gui").exists()
    info = site / "demo-1.0.dist-info"
    assert (info / "INSTALLER").read_text() == "cove\n"
    assert (info / "REQUESTED").read_bytes() == b""
    rows = list(csv.reader((info / "RECORD").read_text().splitlines()))
    assert rows == sorted(rows)
    for path, digest, size in rows:
        target = os.path.normpath(site / path)
        if path.endswith("RECORD"):
            assert digest == size == ""
            continue
        data = Path(target).read_bytes()
        assert digest == _hash(data) and int(size) == len(data), path
    assert "../../../bin/demo," in (info / "RECORD").read_text()
    assert not list(site.rglob("*.pyc"))


def test_hardlinks_from_cache_and_unpacks_once(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, DEMO_FILES)
    cache = tmp_path / "cache"
    install(wheel, tmp_path / "a", cache)
    entries = list((cache / UNPACKED).iterdir())
    install(wheel, tmp_path / "b", cache)
    assert list((cache / UNPACKED).iterdir()) == entries
    a = tmp_path / "a/lib/python3.12/site-packages/demo/__init__.py"
    b = tmp_path / "b/lib/python3.12/site-packages/demo/__init__.py"
    assert os.stat(a).st_ino == os.stat(b).st_ino


def test_a_wheel_seen_before_is_not_hashed_again_unless_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cove.cache.unpacked as unpacked

    hashed: list[Path] = []
    real = unpacked._sha256_file

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(unpacked, "_sha256_file", counting)
    wheel = build_wheel(tmp_path, {"demo/__init__.py": b"one"})
    cache = tmp_path / "cache"
    install(wheel, tmp_path / "a", cache)
    install(wheel, tmp_path / "b", cache)
    assert hashed == [wheel]
    wheel.unlink()  # the same path, new content: a new file, so hashed and unpacked anew
    wheel = build_wheel(tmp_path, {"demo/__init__.py": b"two"})
    install(wheel, tmp_path / "c", cache)
    assert hashed == [wheel, wheel]
    assert (tmp_path / "c/lib/python3.12/site-packages/demo/__init__.py").read_bytes() == b"two"
    assert (tmp_path / "a/lib/python3.12/site-packages/demo/__init__.py").read_bytes() == b"one"


@pytest.mark.parametrize(
    "files, eps, message",
    [
        ({"../evil.py": b"x"}, None, "unsafe member"),
        ({"/abs/evil.py": b"x"}, None, "unsafe member"),
        ({"demo-1.0.data/nonsense/x": b"x"}, None, "unknown .data"),
        ({"demo/__init__.py": b""}, "[console_scripts]\n../../x = demo:main\n", "unsafe name"),
    ],
)
def test_malicious_wheels_write_nothing(
    files: dict[str, bytes], eps: str | None, message: str, tmp_path: Path
) -> None:
    wheel = build_wheel(tmp_path, files, entry_points=eps)
    env = tmp_path / "env"
    env.mkdir()
    with pytest.raises(WheelError, match=message):
        install(wheel, env, tmp_path / "cache")
    assert list(env.iterdir()) == []
    assert not (tmp_path / "evil.py").exists()


def test_corrupt_zip_leaves_cache_empty(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(WheelError, match="not a well-formed zip archive"):
        install(wheel, tmp_path / "env", tmp_path / "cache")
    leftovers = [p for p in (tmp_path / "cache" / UNPACKED).iterdir() if p.suffix != ".lock"]
    assert leftovers == []


def test_hash_mismatch_is_refused(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, {"demo/__init__.py": b"good"})
    with zipfile.ZipFile(wheel) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["demo/__init__.py"] = b"evil"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    with pytest.raises(WheelError, match="does not match the hash"):
        install(wheel, tmp_path / "env", tmp_path / "cache")


def test_conflicting_file_rolls_back(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, DEMO_FILES, entry_points=DEMO_EPS)
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "demo-gui").write_text("someone else's")
    with pytest.raises(WheelError, match="would overwrite"):
        install(wheel, env, tmp_path / "cache")
    assert sorted(p.name for p in env.rglob("*")) == ["bin", "demo-gui"]


def _pip_install(python: Path, env: Path, wheel: Path) -> None:
    pip_wheel = next(
        Path(p)
        for p in sorted(Path(sys.base_prefix).glob("lib/python3*/ensurepip/_bundled/pip-*.whl"))
    )
    environ = {
        "PATH": os.environ["PATH"],
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    subprocess.run(
        [
            str(env / "bin" / "python"),
            f"{pip_wheel}/pip",
            "install",
            "--no-compile",
            "--no-deps",
            "--no-index",
            "--quiet",
            "--find-links",
            str(wheel.parent),
            wheel.name.split("-")[0],
        ],
        check=True,
        env=environ,
        capture_output=True,
    )


def _snapshot(env: Path) -> dict[str, bytes]:
    out = {}
    for p in sorted(env.rglob("*")):
        if (
            p.is_file()
            and not p.is_symlink()
            and "__pycache__" not in p.parts
            and p.name != "pyvenv.cfg"
        ):
            out[p.relative_to(env).as_posix()] = p.read_bytes().replace(str(env).encode(), b"<env>")
    return out


@pytest.mark.parametrize("which", ["demo", "pip"])
def test_file_for_file_what_pip_installs(which: str, tmp_path: Path) -> None:
    """pip and cove install the same wheel into twin venvs: every byte must match."""
    python = pyenv_python("3.12")
    if python is None:
        pytest.skip("no 3.12")
    if which == "demo":
        wheel = build_wheel(
            tmp_path, DEMO_FILES, entry_points=DEMO_EPS, executable=("demo/cli.py",)
        )
    else:
        wheel = next(Path(python).parent.parent.glob("lib/python3.12/ensurepip/_bundled/pip-*.whl"))
    envs = {}
    for who in ("pip", "cove"):
        env = tmp_path / who.ljust(4, "_") / "env"
        subprocess.run([str(python), "-m", "venv", "--without-pip", str(env)], check=True)
        envs[who] = env
    _pip_install(python, envs["pip"], wheel)
    install_wheel(
        wheel,
        venv_scheme(envs["cove"], wheel.name.split("-")[0]),
        python=str(envs["cove"] / "bin" / "python"),
        python_version=(3, 12),
        cache_dir=tmp_path / "cache",
        installer="pip",
        requested=True,
        env=envs["cove"],
    )
    theirs, ours = _snapshot(envs["pip"]), _snapshot(envs["cove"])
    assert sorted(ours) == sorted(theirs)
    for path in theirs:
        if path.endswith("/RECORD"):
            # Same rows in the same order; launchers embed the env path, so only their hash differs.
            o_rows = [r.split(b",") for r in ours[path].splitlines()]
            t_rows = [r.split(b",") for r in theirs[path].splitlines()]
            assert [(r[0], r[2]) for r in o_rows] == [(r[0], r[2]) for r in t_rows]
            for o, t in zip(o_rows, t_rows, strict=True):
                if not o[0].startswith(b"../../../bin/"):
                    assert o == t
        else:
            assert ours[path] == theirs[path], path
    for path in theirs:
        mode_t = os.stat(envs["pip"] / path).st_mode & 0o111
        mode_o = os.stat(envs["cove"] / path).st_mode & 0o111
        assert bool(mode_t) == bool(mode_o), path
