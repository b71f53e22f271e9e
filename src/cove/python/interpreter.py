"""What cove knows about one Python interpreter, as reported by the probe."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

_EMPTY: Mapping[str, str] = MappingProxyType({})


class Interpreter(NamedTuple):
    """A Python executable described by the probe script run inside it (never by this process).

    Paths are absolute strings as the interpreter reports them. ``scheme`` maps the sysconfig
    keys (purelib, platlib, scripts, include, data) to paths relative to an environment root,
    as a venv made by this interpreter lays them out.
    """

    executable: str  # sys.executable, as found (not resolved)
    base_executable: str  # sys._base_executable: the interpreter venv links to
    real_executable: str  # os.path.realpath(sys.executable)
    implementation: str  # sys.implementation.name: "cpython", "pypy", ...
    version: tuple[int, int, int]
    version_string: str  # platform.python_version(), e.g. "3.12.1" or "3.13.0rc1"
    prefix: str
    base_prefix: str
    in_venv: bool
    sys_platform: str
    os_name: str
    is_64bit: bool
    stdlib: str  # sysconfig "stdlib" path
    scheme: Mapping[str, str] = _EMPTY
    markers: Mapping[str, str] = _EMPTY
    soabi: str | None = None
    platform_tag: str = ""  # sysconfig.get_platform()
    libc: tuple[str, str] = ("", "")  # platform.libc_ver(), or ("musl", "1.2.4") on musl
    ensurepip_wheels: tuple[str, ...] = ()  # bundled wheels in ensurepip/_bundled
    cache_tag: str | None = None  # sys.implementation.cache_tag: "cpython-312" in .pyc names
    # sysconfig's default install paths, absolute: where pip installs into this interpreter.
    install_paths: Mapping[str, str] = _EMPTY
    # site.py's user base without PYTHONUSERBASE, and the user site-packages relative to it
    user_base: str = ""
    user_site: str = ""

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"
