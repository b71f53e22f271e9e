"""The wheel tags a target interpreter accepts, best first, computed from its cached probe: the
list ``packaging.tags.sys_tags()`` (26.3 and later) gives when run inside that interpreter."""

from __future__ import annotations

import re
from collections.abc import Sequence

from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, mac_platforms

from cove.python.interpreter import Interpreter

# The short names wheel tags use for implementations (PEP 425); others keep their full name.
_SHORT_NAMES = {"python": "py", "cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}
# Architectures that have manylinux wheels whatever the executable's ABI (PEP 600's list).
# armv7l needs a hard-float executable and i686 a 32-bit one; both are judged apart.
_MANYLINUX_ARCHS = frozenset(
    {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
)
# The names manylinux tags had before PEP 600, listed right after their glibc version.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
# Should glibc ever reach 3.0, 2.x would be listed down from this assumed last minor version.
_LAST_GLIBC_MINOR = 50


def supported_tags(interpreter: Interpreter, platforms: Sequence[str] | None = None) -> list[Tag]:
    """Every tag a wheel may carry to be installable into ``interpreter``, most specific first;
    ``platforms`` (best first) replaces the interpreter's own, for a lock made for another."""
    version = (interpreter.version[0], interpreter.version[1])
    nodot = f"{version[0]}{version[1]}"
    platforms = list(platforms) if platforms is not None else platform_tags(interpreter)
    name = _SHORT_NAMES.get(interpreter.implementation, interpreter.implementation)
    if name == "cp":
        tags = list(cpython_tags(version, cpython_abis(interpreter), platforms))
        compatible_interpreter: str | None = f"cp{nodot}"
    else:
        tags = list(generic_tags(f"{name}{nodot}", generic_abis(interpreter), platforms))
        compatible_interpreter = "pp3" if name == "pp" else None
    tags += compatible_tags(version, compatible_interpreter, platforms)
    return tags


def cpython_abis(interpreter: Interpreter) -> list[str]:
    """cp312; cp313t when free-threaded; a debug build (cp312d) also loads cp312 extensions."""
    soabi = interpreter.soabi or ""
    # cpython-313t-x86_64-linux-gnu on POSIX, cp313t-win_amd64 on Windows from 3.13 on.
    match = re.match(r"(?:cpython-|cp)\d+([a-z]*)(?:-|$)", soabi)
    flags = match.group(1) if match else ""
    nodot = f"{interpreter.version[0]}{interpreter.version[1]}"
    abis = [f"cp{nodot}{flags}"]
    if "d" in flags:
        abis.append(f"cp{nodot}{flags.replace('d', '')}")
    return abis


def generic_abis(interpreter: Interpreter) -> list[str]:
    """The ABI other implementations name in SOABI: pypy310-pp73 gives pypy310_pp73."""
    soabi = interpreter.soabi or ""
    if not soabi:
        return []
    parts = soabi.split("-")
    if soabi.startswith("pypy"):
        soabi = "-".join(parts[:2])
    elif soabi.startswith("graalpy"):
        soabi = "-".join(parts[:3])
    return [_normalize(soabi)]


def platform_tags(interpreter: Interpreter) -> list[str]:
    """The platform parts of the tags, best first: macOS versions, Linux libcs, or the one
    platform Windows and other systems name."""
    system = interpreter.markers.get("platform_system", "")
    if system == "Darwin" or (not system and interpreter.sys_platform == "darwin"):
        return _mac_platforms(interpreter)
    if system == "Linux" or (not system and interpreter.sys_platform.startswith("linux")):
        return linux_platforms(interpreter)
    return [_normalize(interpreter.platform_tag)]


def linux_platforms(interpreter: Interpreter) -> list[str]:
    """linux_<arch> first, then manylinux down from the probed glibc (with the legacy aliases),
    then musllinux down from the probed musl."""
    linux = _normalize(interpreter.platform_tag)
    if not linux.startswith("linux_"):
        return [linux]
    if not interpreter.is_64bit:  # a 32-bit interpreter on a 64-bit kernel
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    out = [f"linux_{a}" for a in archs]
    libc, libc_version = interpreter.libc
    found = re.match(r"(\d+)\.(\d+)", libc_version)
    if libc == "glibc" and found and _manylinux_abi(interpreter, archs):
        out += _manylinux(archs, int(found.group(1)), int(found.group(2)))
    if libc == "musl" and found:
        major, minor = int(found.group(1)), int(found.group(2))
        out += [f"musllinux_{major}_{m}_{a}" for a in archs for m in range(minor, -1, -1)]
    return out


def _manylinux_abi(interpreter: Interpreter, archs: list[str]) -> bool:
    """Whether the executable can load manylinux wheels at all (hard-float ARM, 32-bit x86)."""
    if "armv7l" in archs:
        # The multiarch triplet in SOABI says the float ABI: arm-linux-gnueabihf is hard-float.
        soabi = interpreter.soabi or ""
        return not soabi or "gnueabihf" in soabi
    if "i686" in archs:
        return not interpreter.is_64bit
    return any(a in _MANYLINUX_ARCHS for a in archs)


def _manylinux(archs: list[str], major: int, minor: int) -> list[str]:
    """manylinux_X_Y down to the oldest glibc each architecture was ever built for."""
    # manylinux starts at glibc 2.17 (PEP 599), except x86 where manylinux1 had 2.5.
    oldest = (2, 5) if {"x86_64", "i686"} & set(archs) else (2, 17)
    # glibc keeps compatibility across major versions, so a 3.x lists all of 2.x after it.
    tops = [(major, minor)] + [(m, _LAST_GLIBC_MINOR) for m in range(major - 1, 1, -1)]
    out = []
    for arch in archs:
        for top_major, top_minor in tops:
            floor = oldest[1] if top_major == oldest[0] else 0
            for m in range(top_minor, floor - 1, -1):
                out.append(f"manylinux_{top_major}_{m}_{arch}")
                legacy = _LEGACY_MANYLINUX.get((top_major, m))
                if legacy:
                    out.append(f"{legacy}_{arch}")
    return out


def expand_platform(tag: str) -> list[str]:
    """The platform tags a machine of platform ``tag`` accepts, best first, as pip expands
    ``--platform``: a manylinux or musllinux tag brings the older libc versions (and the legacy
    manylinux names), a macosx tag the older macOS versions and the fat binaries; any other tag
    stands alone."""
    tag = _normalize(tag)
    legacy = {name: version for version, name in _LEGACY_MANYLINUX.items()}
    found = re.fullmatch(r"(manylinux\d+)_(.+)", tag)
    if found and found.group(1) in legacy:
        major, minor = legacy[found.group(1)]
        return _manylinux([found.group(2)], major, minor)
    found = re.fullmatch(r"(manylinux|musllinux|macosx)_(\d+)_(\d+)_(.+)", tag)
    if found is None:
        return [tag]
    kind, major, minor, arch = (
        found.group(1),
        int(found.group(2)),
        int(found.group(3)),
        found.group(4),
    )
    if kind == "manylinux":
        return _manylinux([arch], major, minor)
    if kind == "musllinux":
        return [f"musllinux_{major}_{m}_{arch}" for m in range(minor, -1, -1)]
    return list(mac_platforms((major, minor), arch))


def _mac_platforms(interpreter: Interpreter) -> list[str]:
    machine = interpreter.markers.get("platform_machine", "")
    if not machine:  # macosx-11.0-arm64 ends with the architecture
        machine = interpreter.platform_tag.rsplit("-", 1)[-1]
    if not interpreter.is_64bit:
        machine = "ppc" if machine.startswith("ppc") else "i386"
    version = macos_version(interpreter.markers.get("platform_release", ""))
    if version is None:  # the deployment target the interpreter was built for, at worst
        found = re.match(r"macosx-(\d+)\.(\d+)", interpreter.platform_tag)
        version = (int(found.group(1)), int(found.group(2))) if found else (10, 9)
    return list(mac_platforms(version, machine))


def macos_version(darwin_release: str) -> tuple[int, int] | None:
    """The macOS version of a Darwin kernel release (platform.release(), e.g. 23.4.0 is 14)."""
    found = re.match(r"(\d+)\.(\d+)", darwin_release)
    if not found:
        return None
    darwin, minor = int(found.group(1)), int(found.group(2))
    if darwin >= 25:  # Darwin 25 is macOS 26: the versions follow the year from then on
        return (darwin + 1, minor)
    if darwin >= 20:  # Darwin 20 is macOS 11
        return (darwin - 9, minor)
    if darwin >= 5:  # Darwin 19 is Mac OS X 10.15
        return (10, darwin - 4)
    return None


def _normalize(platform: str) -> str:
    return platform.replace("-", "_").replace(".", "_").replace(" ", "_")
