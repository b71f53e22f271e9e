"""Where things go inside an environment, per platform, as ``python -m venv`` lays them out."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

from typing import NamedTuple
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.python.interpreter import Interpreter


class Layout(NamedTuple):
    """The relative paths of one environment for a given interpreter and platform.

    Pure: built from the probe's facts, so Windows layouts can be computed and tested on Linux.
    """

    windows: bool
    bin_dir: str  # "bin" or "Scripts"
    site_packages: str  # "lib/python3.12/site-packages" or "Lib/site-packages"
    include_dir: str  # "include" or "Include"
    # The names venv links to the interpreter's own file name in bin_dir, the main one first.
    python_names: tuple[str, ...]
    exe_suffix: str  # "" or ".exe"
    lib64: bool  # venv adds lib64 -> lib on 64-bit non-mac POSIX

    @classmethod
    def for_interpreter(
        cls,
        *,
        os_name: str,
        sys_platform: str,
        implementation: str,
        version: tuple[int, int, int],
        is_64bit: bool,
        purelib: str | None = None,
    ) -> "Layout":
        """The layout venv produces for this interpreter; ``purelib`` (from the probe's scheme,
        relative to the environment) wins over the computed default when given."""
        major, minor = version[0], version[1]
        if os_name == "nt":
            return cls(
                windows=True,
                bin_dir="Scripts",
                site_packages=purelib or "Lib/site-packages",
                include_dir="Include",
                python_names=("python.exe", "pythonw.exe"),
                exe_suffix=".exe",
                lib64=False,
            )
        lib_name = f"pypy{major}.{minor}" if implementation == "pypy" else f"python{major}.{minor}"
        names = ["python", f"python{major}"]
        if (major, minor) >= (3, 9):  # venv adds python3.X from 3.9 on
            names.append(f"python{major}.{minor}")
        if implementation == "pypy":
            names += ["pypy", f"pypy{major}", f"pypy{major}.{minor}"]
        return cls(
            windows=False,
            bin_dir="bin",
            site_packages=purelib or f"lib/{lib_name}/site-packages",
            include_dir="include",
            python_names=tuple(names),
            exe_suffix="",
            lib64=is_64bit and sys_platform != "darwin",
        )

    def python(self, env: PurePath) -> PurePath:
        """The environment's main interpreter path."""
        return env / self.bin_dir / self.python_names[0]


def layout_for(interpreter: "Interpreter") -> Layout:
    """The layout of an environment made by ``interpreter`` (from its cached probe)."""
    return Layout.for_interpreter(
        os_name=interpreter.os_name,
        sys_platform=interpreter.sys_platform,
        implementation=interpreter.implementation,
        version=interpreter.version,
        is_64bit=interpreter.is_64bit,
        purelib=interpreter.scheme.get("purelib"),
    )
