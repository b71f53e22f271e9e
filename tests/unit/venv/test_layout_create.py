"""Pure parts of environment creation: layouts per platform, pyvenv.cfg text, prompts."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from cove.errors import VenvError
from cove.python.interpreter import Interpreter
from cove.venv.create import (
    CreateOptions,
    check_interpreter,
    check_target,
    pyvenv_cfg,
    resolve_prompt,
    venv_argv,
)
from cove.venv.layout import Layout


def make_interpreter(version: tuple[int, int, int] = (3, 12, 1), **kw: object) -> Interpreter:
    base = f"/opt/py/{version[0]}.{version[1]}/bin/python3"
    fields: dict[str, object] = dict(
        executable=base,
        base_executable=base,
        real_executable=base + f".{version[1]}",
        implementation="cpython",
        version=version,
        version_string=".".join(map(str, version)),
        prefix="/opt/py",
        base_prefix="/opt/py",
        in_venv=False,
        sys_platform="linux",
        os_name="posix",
        is_64bit=True,
        stdlib=f"/opt/py/lib/python{version[0]}.{version[1]}",
    )
    fields.update(kw)
    return Interpreter(**fields)  # type: ignore[arg-type]


def test_posix_layout() -> None:
    layout = Layout.for_interpreter(
        os_name="posix",
        sys_platform="linux",
        implementation="cpython",
        version=(3, 12, 1),
        is_64bit=True,
    )
    assert layout.bin_dir == "bin"
    assert layout.site_packages == "lib/python3.12/site-packages"
    assert layout.python_names == ("python", "python3", "python3.12")
    old = Layout.for_interpreter(
        os_name="posix", sys_platform="linux", implementation="cpython", version=(3, 8, 18),
        is_64bit=True,
    )  # fmt: skip
    assert old.python_names == ("python", "python3")  # venv adds python3.X from 3.9 on
    assert layout.lib64
    assert layout.python(PurePosixPath("/e")) == PurePosixPath("/e/bin/python")


def test_macos_and_32bit_have_no_lib64() -> None:
    for platform, bits in (("darwin", True), ("linux", False)):
        layout = Layout.for_interpreter(
            os_name="posix",
            sys_platform=platform,
            implementation="cpython",
            version=(3, 11, 0),
            is_64bit=bits,
        )
        assert not layout.lib64


def test_pypy_layout() -> None:
    layout = Layout.for_interpreter(
        os_name="posix",
        sys_platform="linux",
        implementation="pypy",
        version=(3, 10, 14),
        is_64bit=True,
    )
    assert layout.site_packages == "lib/pypy3.10/site-packages"
    assert "pypy3.10" in layout.python_names


def test_windows_layout() -> None:
    layout = Layout.for_interpreter(
        os_name="nt",
        sys_platform="win32",
        implementation="cpython",
        version=(3, 12, 1),
        is_64bit=True,
    )
    assert layout.windows
    assert layout.bin_dir == "Scripts"
    assert layout.site_packages == "Lib/site-packages"
    assert layout.python_names[0] == "python.exe"
    assert not layout.lib64
    assert layout.python(PureWindowsPath("C:/e")) == PureWindowsPath("C:/e/Scripts/python.exe")


def test_pyvenv_cfg_matches_venv_312() -> None:
    interp = make_interpreter()
    opts = CreateOptions(prompt="my p", system_site_packages=True, with_pip=False)
    text = pyvenv_cfg(Path("/tmp/pp"), interp, opts, "my p", venv_argv(opts, interp.version))
    assert text.splitlines() == [
        "home = /opt/py/3.12/bin",
        "include-system-site-packages = true",
        "version = 3.12.1",
        "prompt = 'my p'",
        "executable = /opt/py/3.12/bin/python3",
        "command = /opt/py/3.12/bin/python3 -m venv --without-pip --system-site-packages "
        '--prompt="my p" /tmp/pp',
    ]


def test_pyvenv_cfg_before_311_has_no_command() -> None:
    interp = make_interpreter((3, 9, 18))
    text = pyvenv_cfg(Path("/e"), interp, CreateOptions(), "e", [])
    assert "command" not in text and "executable" not in text
    assert "prompt" not in text


def test_prompt_rules(tmp_path: Path) -> None:
    assert resolve_prompt(Path("/x/.venv"), None, tmp_path, (3, 12)) == ".venv"
    assert resolve_prompt(Path("/x/.venv"), ".", tmp_path, (3, 12)) == tmp_path.name
    assert resolve_prompt(Path("/x/.venv"), "hello", tmp_path, (3, 12)) == "hello"
    assert resolve_prompt(Path("/x/.venv"), ".", tmp_path, (3, 8)) == "."  # as venv 3.8


def test_too_old_is_refused() -> None:
    with pytest.raises(VenvError) as info:
        check_interpreter(make_interpreter((3, 7, 16)))
    assert info.value.hint


def test_check_target(tmp_path: Path) -> None:
    assert check_target(tmp_path / "new", CreateOptions()) is False
    (tmp_path / "file").write_text("")
    with pytest.raises(VenvError, match="not a directory"):
        check_target(tmp_path / "file", CreateOptions())
    with pytest.raises(VenvError, match="nothing to upgrade"):
        check_target(tmp_path / "new", CreateOptions(upgrade=True))
