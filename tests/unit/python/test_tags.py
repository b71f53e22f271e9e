"""Wheel tags computed from the probe equal what packaging reports inside each interpreter."""

from __future__ import annotations

import subprocess
from pathlib import Path

import packaging
import pytest

from cove.python.interpreter import Interpreter
from cove.python.probe import probe
from cove.python.tags import supported_tags
from tests.conftest import pyenv_python

# packaging is pure Python: put this process's copy on the target's path to ask it directly.
PACKAGING_DIR = str(Path(packaging.__file__).parent.parent)
ASK = (
    "import sys; sys.path.insert(0, sys.argv[1]); import packaging.tags as t; "
    "print('\\n'.join(map(str, t.sys_tags())))"
)


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_same_tags_as_packaging_inside_the_interpreter(minor: str, tmp_path: Path) -> None:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor}")
    ours = [str(t) for t in supported_tags(probe(exe, tmp_path))]
    proc = subprocess.run([str(exe), "-c", ASK, PACKAGING_DIR], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"this packaging does not import on {minor}: {proc.stderr[-200:]}")
    assert ours == proc.stdout.split()


def _interp(**kw: object) -> Interpreter:
    base: dict[str, object] = dict(
        executable="/x/python",
        base_executable="/x/python",
        real_executable="/x/python",
        implementation="cpython",
        version=(3, 12, 1),
        version_string="3.12.1",
        prefix="/x",
        base_prefix="/x",
        in_venv=False,
        sys_platform="linux",
        os_name="posix",
        is_64bit=True,
        stdlib="/x/lib",
        markers={"platform_system": "Linux", "platform_machine": "x86_64"},
        soabi="cpython-312-x86_64-linux-gnu",
        platform_tag="linux-x86_64",
        libc=("glibc", "2.28"),
    )
    base.update(kw)
    return Interpreter(**base)  # type: ignore[arg-type]


def test_linux_glibc_order_and_legacy_aliases() -> None:
    tags = [str(t) for t in supported_tags(_interp())]
    assert tags[0] == "cp312-cp312-manylinux_2_28_x86_64"
    plats = [t.split("-")[2] for t in tags if t.startswith("cp312-cp312-")]
    assert plats[plats.index("manylinux_2_17_x86_64") + 1] == "manylinux2014_x86_64"
    assert plats[-2:] == ["manylinux1_x86_64", "linux_x86_64"]
    assert tags[-1] == "py30-none-any"


def test_free_threaded_abi_and_windows() -> None:
    ft = _interp(version=(3, 13, 0), soabi="cpython-313t-x86_64-linux-gnu")
    assert str(supported_tags(ft)[0]) == "cp313-cp313t-manylinux_2_28_x86_64"
    win = _interp(
        os_name="nt",
        sys_platform="win32",
        soabi=None,
        platform_tag="win-amd64",
        markers={"platform_system": "Windows", "platform_machine": "AMD64"},
    )
    tags = [str(t) for t in supported_tags(win)]
    assert tags[0] == "cp312-cp312-win_amd64" and "cp312-abi3-win_amd64" in tags


def test_macos_platforms() -> None:
    mac = _interp(
        sys_platform="darwin",
        platform_tag="macosx-11.0-arm64",
        soabi="cpython-312-darwin",
        markers={"platform_system": "Darwin", "platform_machine": "arm64"},
    )
    tags = [str(t) for t in supported_tags(mac)]
    assert tags[0] == "cp312-cp312-macosx_11_0_arm64"
    assert "cp312-cp312-macosx_11_0_universal2" in tags


def test_musl_gets_no_manylinux() -> None:
    tags = [str(t) for t in supported_tags(_interp(libc=("", "")))]
    assert not any("manylinux" in t for t in tags) and tags[0] == "cp312-cp312-linux_x86_64"
