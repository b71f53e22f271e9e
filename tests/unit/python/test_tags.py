"""Wheel tags computed from the probe equal what packaging reports inside each interpreter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import packaging
import pytest
from packaging.tags import mac_platforms

from cove.python.interpreter import Interpreter
from cove.python.probe import probe
from cove.python.tags import cpython_abis, macos_version, supported_tags
from tests.conftest import PYENV, pyenv_python

# Run inside the target: print packaging's own answer, and which packaging gave it.
ASK = """
import sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "vendored":
    from pip._vendor import packaging
    from pip._vendor.packaging import tags
else:
    import packaging
    from packaging import tags
print(packaging.__version__)
print("\\n".join(map(str, tags.sys_tags())))
"""


def _ask(exe: Path, path: Path | str, kind: str) -> tuple[tuple[int, ...], list[str]] | None:
    """(packaging version, sys_tags) inside ``exe``; None when that packaging cannot run there."""
    proc = subprocess.run(
        [str(exe), "-I", "-c", ASK, str(path), kind], capture_output=True, text=True, timeout=60
    )
    if proc.returncode != 0:
        return None
    version, *tags = proc.stdout.split()
    return tuple(int(x) for x in version.split(".")[:2]), tags


def _native_linux_first(tags: list[str]) -> list[str]:
    """Reorder an answer from packaging before 26.3, which listed linux_<arch> after the
    manylinux and musllinux platforms in each run of tags sharing interpreter and ABI."""
    out: list[str] = []
    run: list[str] = []
    for tag in [*tags, "-"]:
        if run and tag.rsplit("-", 1)[0] != run[0].rsplit("-", 1)[0]:
            native = [t for t in run if t.split("-")[2].startswith("linux_")]
            out += native + [t for t in run if t not in native]
            run = []
        run.append(tag)
    return out


def _references(tmp_path: Path) -> list[tuple[Path, str]]:
    """Where to import packaging from in a target: the copy running these tests, alone on the
    path, and the copies vendored in the pip wheels the pyenv interpreters bundle (on disk)."""
    ours = tmp_path / "pkg"
    shutil.copytree(Path(packaging.__file__).parent, ours / "packaging")
    wheels = sorted(PYENV.glob("*/lib/python3*/ensurepip/_bundled/pip-*.whl"))
    return [(ours, "packaging"), *((w, "vendored") for w in wheels)]


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_same_tags_as_packaging_inside_the_interpreter(minor: str, tmp_path: Path) -> None:
    exe = pyenv_python(minor)
    if exe is None:
        pytest.skip(f"no Python {minor}")
    ours = [str(t) for t in supported_tags(probe(exe, tmp_path / "cache"))]
    answers = [_ask(exe, path, kind) for path, kind in _references(tmp_path)]
    # packaging before 24 lacked the cpXY-none-any tag; every later one must agree with us.
    recent = [a for a in answers if a is not None and a[0] >= (24, 0)]
    if not recent:
        pytest.skip(f"no packaging 24 or later runs on Python {minor}")
    for version, theirs in recent:
        assert theirs, "packaging gave no tags"
        assert ours == (_native_linux_first(theirs) if version < (26, 3) else theirs), version


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


def _platforms(interpreter: Interpreter, prefix: str) -> list[str]:
    """The platforms of the tags that start with ``prefix`` (interpreter-abi-), in order."""
    return [str(t).split("-")[2] for t in supported_tags(interpreter) if str(t).startswith(prefix)]


def test_glibc_x86_64_lists_every_glibc_down_to_2_5_with_legacy_aliases() -> None:
    plats = _platforms(_interp(), "cp312-cp312-")
    expected = ["linux_x86_64"]
    for minor in range(28, 4, -1):
        expected.append(f"manylinux_2_{minor}_x86_64")
        alias = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}.get(minor)
        if alias:
            expected.append(f"{alias}_x86_64")
    assert plats == expected
    tags = [str(t) for t in supported_tags(_interp())]
    assert tags[0] == "cp312-cp312-linux_x86_64"
    assert "cp312-abi3-manylinux_2_28_x86_64" in tags and "cp32-abi3-manylinux1_x86_64" in tags
    assert tags.index("cp312-none-any") < tags.index("py3-none-any")
    assert tags[-1] == "py30-none-any"
    assert len(tags) == len(set(tags))


def test_aarch64_starts_at_glibc_2_17() -> None:
    arm = _interp(
        platform_tag="linux-aarch64",
        soabi="cpython-312-aarch64-linux-gnu",
        libc=("glibc", "2.31"),
        markers={"platform_system": "Linux", "platform_machine": "aarch64"},
    )
    plats = _platforms(arm, "cp312-cp312-")
    assert plats[:3] == ["linux_aarch64", "manylinux_2_31_aarch64", "manylinux_2_30_aarch64"]
    assert plats[-2:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]


def test_32_bit_interpreters_on_64_bit_kernels() -> None:
    x86 = _interp(is_64bit=False, soabi="cpython-312-i386-linux-gnu", libc=("glibc", "2.17"))
    plats = _platforms(x86, "cp312-cp312-")
    assert plats[:3] == ["linux_i686", "manylinux_2_17_i686", "manylinux2014_i686"]
    assert plats[-1] == "manylinux1_i686"
    armhf = _interp(
        is_64bit=False,
        platform_tag="linux-aarch64",
        soabi="cpython-312-arm-linux-gnueabihf",
        libc=("glibc", "2.17"),
    )
    assert _platforms(armhf, "cp312-cp312-") == [
        "linux_armv8l",
        "linux_armv7l",
        "manylinux_2_17_armv8l",
        "manylinux2014_armv8l",
        "manylinux_2_17_armv7l",
        "manylinux2014_armv7l",
    ]


def test_soft_float_arm_and_unknown_architectures_get_no_manylinux() -> None:
    soft = _interp(
        is_64bit=False, platform_tag="linux-armv7l", soabi="cpython-312-arm-linux-gnueabi"
    )
    assert _platforms(soft, "cp312-cp312-") == ["linux_armv7l"]
    mips = _interp(platform_tag="linux-mips64", soabi="cpython-312-mips64-linux-gnuabi64")
    assert _platforms(mips, "cp312-cp312-") == ["linux_mips64"]


def test_musl_gets_musllinux_and_no_manylinux() -> None:
    musl = _interp(libc=("musl", "1.2.4"), soabi="cpython-312-x86_64-linux-musl")
    assert _platforms(musl, "cp312-cp312-") == [
        "linux_x86_64",
        "musllinux_1_2_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_0_x86_64",
    ]
    unknown = _interp(libc=("", ""))
    assert _platforms(unknown, "cp312-cp312-") == ["linux_x86_64"]


def test_abis_from_soabi() -> None:
    assert cpython_abis(_interp()) == ["cp312"]
    assert cpython_abis(_interp(soabi="cpython-312d-x86_64-linux-gnu")) == ["cp312d", "cp312"]
    threaded = _interp(version=(3, 13, 0), soabi="cpython-313t-x86_64-linux-gnu")
    assert cpython_abis(threaded) == ["cp313t"]
    tags = [str(t) for t in supported_tags(threaded)]
    assert tags[0] == "cp313-cp313t-linux_x86_64"
    assert not any("-abi3-" in t for t in tags)  # free-threaded builds cannot load abi3
    assert not any(t.startswith("cp313-cp313-") for t in tags)


def test_windows_has_one_platform() -> None:
    win = _interp(
        os_name="nt",
        sys_platform="win32",
        soabi=None,
        platform_tag="win-amd64",
        libc=("", ""),
        markers={"platform_system": "Windows", "platform_machine": "AMD64"},
    )
    tags = [str(t) for t in supported_tags(win)]
    assert tags[:4] == [
        "cp312-cp312-win_amd64",
        "cp312-abi3-win_amd64",
        "cp312-none-win_amd64",
        "cp311-abi3-win_amd64",
    ]
    assert {t.split("-")[2] for t in tags} == {"win_amd64", "any"}
    win313t = _interp(
        version=(3, 13, 0),
        os_name="nt",
        sys_platform="win32",
        soabi="cp313t-win_arm64",
        platform_tag="win-arm64",
        markers={"platform_system": "Windows", "platform_machine": "ARM64"},
    )
    assert str(supported_tags(win313t)[0]) == "cp313-cp313t-win_arm64"


def _mac(release: str, machine: str, **kw: object) -> Interpreter:
    return _interp(
        sys_platform="darwin",
        platform_tag=f"macosx-11.0-{machine}",
        soabi="cpython-312-darwin",
        libc=("", ""),
        markers={
            "platform_system": "Darwin",
            "platform_machine": machine,
            "platform_release": release,
        },
        **kw,
    )


def test_macos_version_from_the_darwin_kernel() -> None:
    assert macos_version("19.6.0") == (10, 15)
    assert macos_version("20.1.0") == (11, 1)
    assert macos_version("23.4.0") == (14, 4)
    assert macos_version("24.0.0") == (15, 0)
    assert macos_version("25.1.0") == (26, 1)
    assert macos_version("") is None


def test_macos_platforms_follow_the_running_system_not_the_build_target() -> None:
    arm = _platforms(_mac("23.4.0", "arm64"), "cp312-cp312-")
    assert arm == list(mac_platforms((14, 4), "arm64"))
    assert arm[:2] == ["macosx_14_0_arm64", "macosx_14_0_universal2"]
    assert "macosx_11_0_arm64" in arm and "macosx_10_9_universal2" in arm
    intel = _platforms(_mac("19.6.0", "x86_64"), "cp312-cp312-")
    assert intel[0] == "macosx_10_15_x86_64" and "macosx_10_4_intel" in intel
    assert not any(p.startswith("macosx_11") for p in intel)


def test_pypy_uses_its_own_interpreter_and_abi() -> None:
    pypy = _interp(
        implementation="pypy", version=(3, 10, 14), soabi="pypy310-pp73-x86_64-linux-gnu"
    )
    tags = [str(t) for t in supported_tags(pypy)]
    assert tags[0] == "pp310-pypy310_pp73-linux_x86_64"
    assert "pp310-none-manylinux_2_28_x86_64" in tags and "pp3-none-any" in tags
    assert not any(t.startswith("cp") for t in tags)
    assert tags[-1] == "py30-none-any"
